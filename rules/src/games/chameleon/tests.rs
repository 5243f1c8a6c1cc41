use super::*;
use crate::Session;

#[test]
fn placeholder() {}
