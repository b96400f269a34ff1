//! Documentation checks: the guides in `docs/` cannot drift from the code.
