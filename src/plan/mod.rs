//! The pure planner (not built yet).
