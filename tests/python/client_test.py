"""Datagrok's own Python client (`datagrok-api`), unchanged, against the grokform emulator.

Run by `tests/cli/emulator_python.rs` with GROKFORM_EMULATOR_URL and GROKFORM_EMULATOR_KEY set.
Every step asserts; any mismatch raises and the script exits non-zero.
"""

import json
import os
import sys
import tempfile
from pathlib import Path

import pandas as pd
import requests
from datagrok_api import DatagrokClient

URL = os.environ["GROKFORM_EMULATOR_URL"]
KEY = os.environ["GROKFORM_EMULATOR_KEY"]


def step(name):
    print(f"ok: {name}", flush=True)


def expect_failure(action, contains):
    try:
        action()
    except Exception as error:  # the client raises plain Exception for ApiError
        assert contains in str(error), f"expected {contains!r} in {error!r}"
        return error
    raise AssertionError(f"expected a failure containing {contains!r}")


def main():
    grok = DatagrokClient(base_url=URL, api_key=f"Bearer {KEY}")
    work = Path(tempfile.mkdtemp(prefix="grokform-python-"))

    # tables: upload, download by ID and by name, re-upload keeps the ID
    sales = pd.DataFrame({"region": ["EU", "US", "APAC"], "amount": [3, 5, 8]})
    uploaded = grok.tables.upload("JohnDoe:Sales:Q1", sales)
    table_id = uploaded["ID"]
    assert uploaded["Grok name"] == "JohnDoe:Sales:Q1", uploaded
    assert uploaded["URL"], uploaded
    pd.testing.assert_frame_equal(grok.tables.download(table_id), sales)
    pd.testing.assert_frame_equal(grok.tables.download("JohnDoe:Sales:Q1"), sales)
    bigger = pd.DataFrame({"region": ["EU"], "amount": [13]})
    assert grok.tables.upload("JohnDoe:Sales:Q1", bigger)["ID"] == table_id
    pd.testing.assert_frame_equal(grok.tables.download(table_id), bigger)
    step("tables upload/download")

    # dashboards from the returned ID, with and without a layout file
    dashboard = grok.tables.create_dashboard("Sales Overview", table_id)
    dashboard_id = dashboard["ID"]
    layout_path = work / "overview.layout.json"
    layout_path.write_text(json.dumps({"#type": "ViewLayout", "viewStateMap": {}, "columns": ["region"]}))
    with_layout = grok.tables.create_dashboard("Sales Overview", table_id, str(layout_path))
    assert with_layout["ID"] != dashboard_id
    step("dashboards")

    # shares: success, already shared, partial, and the failure the client raises
    shared = grok.shares.share(dashboard_id, ["Analysts", "Managers"], access="View")
    assert shared.is_success() and shared.shared == ["Analysts", "Managers"], shared.__dict__
    again = grok.shares.share(dashboard_id, "Analysts", access="View")
    assert again.already_shared == ["Analysts"], again.__dict__
    partial = grok.shares.share(dashboard_id, ["Developers", "Nobody"], access="Edit")
    assert partial.is_partial() and partial.failed == ["Nobody"], partial.__dict__
    expect_failure(lambda: grok.shares.share(dashboard_id, ["Ghosts"]), "Sharing failed")
    step("shares")

    # functions: a bare scalar, a package function, an echo, and an unknown function
    assert grok.functions.call("Sin", {"x": 0}) == 0
    assert grok.functions.call("Abs", {"x": -2.5}) == 2.5
    assert grok.functions.call("Echo", {"a": [1, "b"]}) == {"a": [1, "b"]}
    assert grok.functions.call("Demo:RefreshCaches", {"table": table_id}) == {"refreshed": table_id, "rows": 1}
    expect_failure(lambda: grok.functions.call("Nope:Missing"), "ApiError")
    step("functions")

    # files: upload, download (CSV comes back as a DataFrame, others as bytes)
    local_csv = work / "data.csv"
    sales.to_csv(local_csv, index=False)
    local_bin = work / "blob.bin"
    local_bin.write_bytes(bytes(range(256)) * 40)
    grok.files.upload("System:AppData", "py/data.csv", str(local_csv))
    grok.files.upload("System:AppData", "py/nested/blob.bin", str(local_bin))
    pd.testing.assert_frame_equal(grok.files.download("System:AppData", "py/data.csv"), sales)
    assert grok.files.download("System:AppData", "py/nested/blob.bin") == local_bin.read_bytes()
    step("files upload/download")

    # sync: first pull, unchanged pull, a change and a deletion, then an empty folder
    mirror = work / "mirror"
    grok.files.sync_dir("System:AppData", "py", str(mirror))
    assert (mirror / "data.csv").read_bytes() == local_csv.read_bytes()
    assert (mirror / "nested" / "blob.bin").read_bytes() == local_bin.read_bytes()
    meta = json.loads((mirror / ".sync_meta.json").read_text())
    assert sorted(meta) == ["data.csv", "nested/blob.bin"], meta
    grok.files.sync_dir("System:AppData", "py", str(mirror))
    assert json.loads((mirror / ".sync_meta.json").read_text()) == meta
    bigger.to_csv(local_csv, index=False)
    grok.files.upload("System:AppData", "py/data.csv", str(local_csv))
    deleted = requests.delete(f"{URL}/public/v1/files/System.AppData/py/nested/blob.bin",
                              headers={"Authorization": f"Bearer {KEY}"})
    assert deleted.status_code == 200 and "api-error" not in deleted.headers
    grok.files.sync_dir("System:AppData", "py", str(mirror))
    assert (mirror / "data.csv").read_bytes() == local_csv.read_bytes()
    assert not (mirror / "nested" / "blob.bin").exists()
    assert sorted(json.loads((mirror / ".sync_meta.json").read_text())) == ["data.csv"]
    empty = work / "empty"
    (empty / "stale.txt").parent.mkdir(parents=True)
    (empty / "stale.txt").write_text("x")
    grok.files.sync_dir("System:AppData", "nothing-here", str(empty))
    assert not (empty / "stale.txt").exists()
    step("files sync")

    # error path: unknown table (ApiError on HTTP 200), and a bad key (HTTP 401)
    expect_failure(lambda: grok.tables.download("Nobody:Nothing:Here"), "ApiError")
    bad = DatagrokClient(base_url=URL, api_key="Bearer wrong-key")
    error = expect_failure(lambda: bad.tables.download(table_id), "401")
    assert isinstance(error, requests.HTTPError), repr(error)
    step("errors")

    print("all ok")


if __name__ == "__main__":
    try:
        main()
    except Exception as error:  # report and fail loudly; the Rust test shows this output
        import traceback

        traceback.print_exc()
        print(f"FAILED: {error}", file=sys.stderr)
        sys.exit(1)
