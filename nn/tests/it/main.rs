//! Integration tests of oxlearn-nn.
