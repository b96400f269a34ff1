//! shell blocks
