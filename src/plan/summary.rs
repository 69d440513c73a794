//! Counts of a plan's actions, for the closing line and the Markdown table.

use std::fmt;

use super::{Action, Change};

/// How many changes of each action a plan holds.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub create: usize,
    pub update: usize,
    pub replace: usize,
    pub delete: usize,
    pub forget: usize,
    pub run: usize,
    pub no_op: usize,
}

impl Summary {
    /// Counts `changes`.
    pub fn of(changes: &[Change]) -> Self {
        let mut s = Summary::default();
        for change in changes {
            *s.slot(change.action) += 1;
        }
        s
    }

    /// The count for one action.
    pub fn count(&self, action: Action) -> usize {
        let mut copy = *self;
        *copy.slot(action)
    }

    fn slot(&mut self, action: Action) -> &mut usize {
        match action {
            Action::Create => &mut self.create,
            Action::Update => &mut self.update,
            Action::Replace => &mut self.replace,
            Action::Delete => &mut self.delete,
            Action::Forget => &mut self.forget,
            Action::Run => &mut self.run,
            Action::NoOp => &mut self.no_op,
        }
    }
}

/// `Plan: 2 to create, 1 to update, 1 to replace, 0 to delete, 1 to forget, 0 to run.`
impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Plan: {} to create, {} to update, {} to replace, {} to delete, {} to forget, {} to run.",
            self.create, self.update, self.replace, self.delete, self.forget, self.run
        )
    }
}
