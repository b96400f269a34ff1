//! Placeholder: the mysql connector lands here.
