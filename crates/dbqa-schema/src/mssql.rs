//! Placeholder: the mssql connector lands here.
