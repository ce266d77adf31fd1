//! SIP messages for siplua (work in progress).
