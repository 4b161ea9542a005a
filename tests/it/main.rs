//! Integration tests of the `oxlearn` facade.

mod registry;
