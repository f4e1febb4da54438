//! Synchronisation state machines on shared 32-bit words.
