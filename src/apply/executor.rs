//! Runs the nodes of a dependency graph with bounded concurrency. It knows nothing about
//! Datagrok: it starts a node once everything it depends on succeeded, stops starting nodes on
//! the first failure or on an interrupt, lets in-flight nodes finish, and reports what happened
//! to every node. Keeping it generic keeps the scheduling rules testable without a server.

use std::collections::{BTreeMap, BTreeSet};
use std::future::Future;

use tokio::sync::watch;
use tokio::task::JoinSet;

use crate::address::Address;

/// What became of each node.
#[derive(Debug)]
pub struct Outcome<E> {
    /// In completion order.
    pub succeeded: Vec<Address>,
    /// In completion order, with their errors.
    pub failed: Vec<(Address, E)>,
    /// Never started: a dependency failed or was skipped, or the run stopped first. Plan order.
    pub skipped: Vec<Address>,
    /// The run was interrupted (Ctrl-C) before every node ran.
    pub interrupted: bool,
}

/// Why a node's task ended without an answer from `run`.
#[derive(Debug, thiserror::Error)]
pub enum TaskError<E> {
    #[error(transparent)]
    Failed(E),
    #[error("the task panicked: {0}")]
    Panicked(String),
}

/// Runs `nodes` (in plan order, the deterministic tie-break) with at most `parallelism` at
/// once. `deps` gives each node's dependencies; dependencies outside `nodes` count as
/// satisfied (they need no action). Setting `stop` to `true` starts nothing more.
pub async fn execute<E, F, Fut>(
    nodes: &[Address],
    deps: &BTreeMap<Address, Vec<Address>>,
    parallelism: usize,
    mut stop: watch::Receiver<bool>,
    run: F,
) -> Outcome<TaskError<E>>
where
    F: Fn(Address) -> Fut,
    Fut: Future<Output = Result<(), E>> + Send + 'static,
    E: Send + 'static,
{
    let parallelism = parallelism.max(1);
    let position: BTreeMap<&Address, usize> =
        nodes.iter().enumerate().map(|(i, a)| (a, i)).collect();
    let mut waiting_on: Vec<usize> = vec![0; nodes.len()];
    let mut dependents: Vec<Vec<usize>> = vec![Vec::new(); nodes.len()];
    for (i, node) in nodes.iter().enumerate() {
        let mine: BTreeSet<usize> = deps
            .get(node)
            .into_iter()
            .flatten()
            .filter_map(|d| position.get(d).copied())
            .filter(|&d| d != i)
            .collect();
        waiting_on[i] = mine.len();
        for d in mine {
            dependents[d].push(i);
        }
    }
    let mut ready: BTreeSet<usize> = (0..nodes.len()).filter(|&i| waiting_on[i] == 0).collect();
    let mut done = vec![false; nodes.len()];
    let mut outcome = Outcome {
        succeeded: Vec::new(),
        failed: Vec::new(),
        skipped: Vec::new(),
        interrupted: false,
    };
    let mut running: JoinSet<(usize, Result<(), E>)> = JoinSet::new();
    let mut task_index = BTreeMap::new();
    let mut stopping = *stop.borrow();
    outcome.interrupted = stopping;
    let mut stop_open = true;

    loop {
        while !stopping && running.len() < parallelism {
            let Some(next) = ready.pop_first() else { break };
            let future = run(nodes[next].clone());
            let handle = running.spawn(async move { (next, future.await) });
            task_index.insert(handle.id(), next);
        }
        if running.is_empty() {
            break;
        }
        tokio::select! {
            joined = running.join_next_with_id() => {
                let Some(joined) = joined else { continue };
                let (index, result) = match joined {
                    Ok((id, (index, result))) => {
                        task_index.remove(&id);
                        (index, result.map_err(TaskError::Failed))
                    }
                    Err(error) => {
                        let index = task_index.remove(&error.id()).expect("every task is indexed");
                        (index, Err(TaskError::Panicked(error.to_string())))
                    }
                };
                done[index] = true;
                match result {
                    Ok(()) => {
                        outcome.succeeded.push(nodes[index].clone());
                        for &dependent in &dependents[index] {
                            waiting_on[dependent] -= 1;
                            if waiting_on[dependent] == 0 {
                                ready.insert(dependent);
                            }
                        }
                    }
                    Err(error) => {
                        outcome.failed.push((nodes[index].clone(), error));
                        stopping = true;
                    }
                }
            }
            changed = stop.changed(), if stop_open => {
                match changed {
                    Ok(()) if *stop.borrow() => {
                        stopping = true;
                        outcome.interrupted = true;
                    }
                    Ok(()) => {}
                    Err(_) => stop_open = false,
                }
            }
        }
    }
    outcome.skipped = nodes
        .iter()
        .zip(&done)
        .filter(|(_, done)| !**done)
        .map(|(a, _)| a.clone())
        .collect();
    outcome
}

#[cfg(test)]
mod tests {
    use std::sync::atomic::{AtomicUsize, Ordering};
    use std::sync::{Arc, Mutex};
    use std::time::Duration;

    use super::*;

    fn addr(s: &str) -> Address {
        s.parse().unwrap()
    }

    /// table.a, table.b → dashboard.d → share.d.G; file.f independent.
    fn graph() -> (Vec<Address>, BTreeMap<Address, Vec<Address>>) {
        let nodes: Vec<Address> = ["file.f", "table.a", "table.b", "dashboard.d", "share.d.G"]
            .iter()
            .map(|s| addr(s))
            .collect();
        let mut deps = BTreeMap::new();
        deps.insert(addr("dashboard.d"), vec![addr("table.a"), addr("table.b")]);
        deps.insert(addr("share.d.G"), vec![addr("dashboard.d")]);
        (nodes, deps)
    }

    /// A stop signal whose sender is gone: the executor must simply stop listening to it.
    fn never_stopped() -> watch::Receiver<bool> {
        watch::channel(false).1
    }

    #[tokio::test]
    async fn runs_dependencies_first_and_everything_once() {
        let (nodes, deps) = graph();
        let log = Arc::new(Mutex::new(Vec::new()));
        let outcome = execute(&nodes, &deps, 8, never_stopped(), |a| {
            let log = log.clone();
            async move {
                tokio::time::sleep(Duration::from_millis(if a.key == "a" { 30 } else { 1 })).await;
                log.lock().unwrap().push(a.to_string());
                Ok::<(), String>(())
            }
        })
        .await;
        let log = log.lock().unwrap().clone();
        assert_eq!(log.len(), 5);
        let at = |s: &str| log.iter().position(|x| x == s).unwrap();
        assert!(at("table.a") < at("dashboard.d") && at("table.b") < at("dashboard.d"));
        assert!(at("dashboard.d") < at("share.d.G"));
        assert!(outcome.failed.is_empty() && outcome.skipped.is_empty() && !outcome.interrupted);
    }

    #[tokio::test]
    async fn never_exceeds_parallelism() {
        let nodes: Vec<Address> = (0..20)
            .map(|i| Address::table(&format!("t{i:02}")))
            .collect();
        let (now, peak) = (Arc::new(AtomicUsize::new(0)), Arc::new(AtomicUsize::new(0)));
        let outcome = execute(&nodes, &BTreeMap::new(), 3, never_stopped(), |_| {
            let (now, peak) = (now.clone(), peak.clone());
            async move {
                let n = now.fetch_add(1, Ordering::SeqCst) + 1;
                peak.fetch_max(n, Ordering::SeqCst);
                tokio::time::sleep(Duration::from_millis(5)).await;
                now.fetch_sub(1, Ordering::SeqCst);
                Ok::<(), ()>(())
            }
        })
        .await;
        assert_eq!(outcome.succeeded.len(), 20);
        assert_eq!(peak.load(Ordering::SeqCst), 3);
    }

    #[tokio::test]
    async fn first_failure_starts_nothing_new_and_skips_dependents() {
        let (nodes, deps) = graph();
        // Parallelism 1 in plan order: file.f, table.a (fails), then nothing more starts.
        let outcome = execute(&nodes, &deps, 1, never_stopped(), |a| async move {
            if a.key == "a" {
                Err(format!("{a} refused"))
            } else {
                Ok(())
            }
        })
        .await;
        assert_eq!(outcome.succeeded, vec![addr("file.f")]);
        assert_eq!(outcome.failed.len(), 1);
        assert_eq!(outcome.failed[0].0, addr("table.a"));
        assert_eq!(
            outcome.skipped,
            vec![addr("table.b"), addr("dashboard.d"), addr("share.d.G")]
        );
    }

    #[tokio::test]
    async fn in_flight_work_finishes_after_a_failure() {
        let (nodes, deps) = graph();
        let outcome = execute(&nodes, &deps, 8, never_stopped(), |a| async move {
            match a.key.as_str() {
                "f" => Err("boom"),
                "a" | "b" => {
                    tokio::time::sleep(Duration::from_millis(20)).await;
                    Ok(())
                }
                _ => Ok(()),
            }
        })
        .await;
        let succeeded: BTreeSet<_> = outcome.succeeded.iter().map(|a| a.to_string()).collect();
        assert_eq!(
            succeeded,
            BTreeSet::from(["table.a".to_string(), "table.b".to_string()])
        );
        assert_eq!(
            outcome.skipped,
            vec![addr("dashboard.d"), addr("share.d.G")]
        );
    }

    #[tokio::test]
    async fn interrupt_drains_and_reports() {
        let (nodes, deps) = graph();
        let (tx, rx) = watch::channel(false);
        let tx = Arc::new(tx);
        let outcome = execute(&nodes, &deps, 8, rx, |a| {
            let tx = tx.clone();
            async move {
                if a.key == "a" {
                    tx.send(true).unwrap();
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Ok::<(), ()>(())
            }
        })
        .await;
        assert!(outcome.interrupted);
        assert!(
            outcome.succeeded.contains(&addr("table.a")),
            "in-flight work finishes"
        );
        assert!(outcome.skipped.contains(&addr("dashboard.d")));
        assert!(outcome.skipped.contains(&addr("share.d.G")));
    }

    #[tokio::test]
    async fn a_panicking_node_is_a_failure_not_a_crash() {
        let nodes = vec![addr("table.a")];
        let outcome = execute(
            &nodes,
            &BTreeMap::new(),
            2,
            never_stopped(),
            |_| async move {
                if true {
                    panic!("bug");
                }
                Ok::<(), ()>(())
            },
        )
        .await;
        assert!(matches!(outcome.failed[0].1, TaskError::Panicked(_)));
    }
}
