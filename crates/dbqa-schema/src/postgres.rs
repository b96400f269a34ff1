//! Placeholder: the postgres connector lands here.
