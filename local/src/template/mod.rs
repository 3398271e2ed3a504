//! The SAM template: reading template.yaml offline ([`sam`]) and the plain
//! data the stack takes from it ([`spec`]).

pub mod sam;
pub mod spec;
