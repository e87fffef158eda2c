// Package schedule runs vendrule's periodic work (alert ticks, outbox
// delivery, digests, housekeeping) on gocron, once per tick across all the
// replicas that share one database.
//
// # Once across replicas
//
// Every replica registers the same jobs and runs its own gocron scheduler,
// but only the replica that holds the scheduler's lease runs them. The lease
// is a row of scheduler_leases (name, owner, expires_at), and it is taken or
// renewed by one atomic statement: an insert of the row that, when the row
// exists, updates it only if the caller already owns it or it has expired.
// The caller is the leader exactly when that statement wrote a row. All times
// are the database's now(), so the replicas' clocks do not matter.
//
// The lease is asked for right before every job run (it is gocron's Elector,
// see WithDistributedElector), and a heartbeat renews it, or tries to take
// it, every third of its TTL. The leader therefore keeps the lease for as
// long as it lives, however rare its jobs are, and the others skip their
// runs. When the leader dies, its lease runs out after at most one TTL and
// the first replica to ask next (a job tick or a heartbeat) takes over. A
// clean Shutdown waits for the running jobs and then deletes the lease, so
// that another replica takes over at its next tick.
//
// Interval jobs are aligned on multiples of their interval (as by
// time.Truncate), so every replica ticks at the same instants and a new
// leader carries on the old one's rhythm.
//
// The lease does not fence: a leader cut off from the database for longer
// than the TTL may finish a run it had started while another replica already
// leads, and a job may run twice around a change of leader. Jobs therefore
// claim their work with row locks (FOR UPDATE SKIP LOCKED) and commit it in
// their own transactions, so that nothing is done twice and a replica that
// dies mid-run loses nothing: its uncommitted claims go back to the queue.
//
// A session advisory lock on a dedicated connection would also elect a
// leader, but it ties leadership to one TCP connection (whose death a
// half-open network may hide for a long time), does not survive a
// transaction-pooling proxy, and cannot be expired by a test. The lease is a
// plain row whose every state a test can set and check with SQL.
package schedule
