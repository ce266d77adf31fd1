//! The OpenSIPS routing-script language (work in progress).
