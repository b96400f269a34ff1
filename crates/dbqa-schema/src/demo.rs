//! The demo shop database (being written).
