//! The PostgreSQL store, as a team would use it: the same record byte for byte as the directory
//! store, insert-only whatever SQL a writer sends, one chain under concurrent writers, and
//! faults (a lost connection, a killed client, a server restart, a server that is down) that
//! never lose or half-write an acknowledged entry. Each test starts from a fresh database in
//! the cluster the suite started itself (see `pg`).
