//! Human, JSON and Markdown views of plans and apply results (not built yet).
