//! juki-client (being written).
