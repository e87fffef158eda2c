package schedule

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime/debug"
	"strings"
	"sync"
	"time"

	"github.com/go-co-op/gocron/v2"
	"github.com/jonboulle/clockwork"

	"github.com/vendrule/vendrule/models/pg"
)

// DefaultLeaseTTL is how long a leader keeps the lease without renewing it:
// the longest that the replicas go without a leader after one dies.
const DefaultLeaseTTL = 15 * time.Second

// DefaultLeaseName names the lease of a Scheduler made without WithLeaseName.
const DefaultLeaseName = "vendrule"

// Scheduler runs periodic jobs on the one replica that holds its lease.
type Scheduler struct {
	cron  gocron.Scheduler
	lease *Lease
	clock clockwork.Clock
	log   *slog.Logger
	ttl   time.Duration

	mu      sync.Mutex
	names   map[string]bool
	started bool
	stopped bool
	beat    context.CancelFunc // stops the heartbeat
	beating sync.WaitGroup
}

type config struct {
	clock     clockwork.Clock
	ttl       time.Duration
	leaseName string
	log       *slog.Logger
}

// Option configures a Scheduler.
type Option func(*config)

// WithClock makes the scheduler time its jobs by c, typically a
// clockwork.FakeClock in tests. The lease keeps the database's time.
func WithClock(c clockwork.Clock) Option { return func(cf *config) { cf.clock = c } }

// WithLeaseTTL sets how long a leader keeps the lease without renewing it
// (DefaultLeaseTTL when not given). The heartbeat renews it every third of
// ttl; a replica that dies leaves the others leaderless for at most ttl.
func WithLeaseTTL(ttl time.Duration) Option { return func(cf *config) { cf.ttl = ttl } }

// WithLeaseName sets the name of the lease (DefaultLeaseName when not
// given). Schedulers with different names elect their leaders separately.
func WithLeaseName(name string) Option { return func(cf *config) { cf.leaseName = name } }

// WithLogger sets the logger of lease changes and job failures
// (slog.Default() when not given).
func WithLogger(l *slog.Logger) Option { return func(cf *config) { cf.log = l } }

// New returns a stopped scheduler for the replica owner, which must be unique
// among the replicas on db; an empty owner gets a generated one.
func New(db *pg.DB, owner string, opts ...Option) (*Scheduler, error) {
	cf := config{clock: clockwork.NewRealClock(), ttl: DefaultLeaseTTL, leaseName: DefaultLeaseName, log: slog.Default()}
	for _, o := range opts {
		o(&cf)
	}
	if db == nil {
		return nil, errors.New("schedule: no database")
	}
	if cf.clock == nil || cf.log == nil {
		return nil, errors.New("schedule: nil clock or logger")
	}
	if cf.ttl < 30*time.Millisecond {
		return nil, fmt.Errorf("schedule: lease TTL %v is too short", cf.ttl)
	}
	if cf.leaseName == "" {
		return nil, errors.New("schedule: empty lease name")
	}
	if owner == "" {
		owner = generatedOwner()
	}
	lease := NewLease(db, cf.leaseName, owner, cf.ttl)
	lease.log = cf.log
	cron, err := gocron.NewScheduler(
		gocron.WithClock(cf.clock),
		gocron.WithDistributedElector(lease),
		gocron.WithLocation(time.UTC),
	)
	if err != nil {
		return nil, fmt.Errorf("schedule: %w", err)
	}
	return &Scheduler{cron: cron, lease: lease, clock: cf.clock, log: cf.log, ttl: cf.ttl,
		names: map[string]bool{}}, nil
}

// generatedOwner returns host-pid-random, unique per process.
func generatedOwner() string {
	host, _ := os.Hostname()
	b := make([]byte, 4)
	_, _ = rand.Read(b)
	return fmt.Sprintf("%s-%d-%s", host, os.Getpid(), hex.EncodeToString(b))
}

// Owner returns the name under which this replica holds the lease.
func (s *Scheduler) Owner() string { return s.lease.owner }

// Leading reports whether this replica held the lease at its last check.
func (s *Scheduler) Leading() bool { return s.lease.Held() }

// Every runs fn every interval on the leader, at the multiples of every (as
// by time.Truncate) so that all replicas tick together. A run that is still
// going at the next tick makes that tick skip rather than pile up. Errors and
// panics of fn are logged with the job's name. fn's context ends at Shutdown.
func (s *Scheduler) Every(name string, every time.Duration, fn func(ctx context.Context) error) error {
	if every <= 0 {
		return fmt.Errorf("schedule: job %s: interval %v is not positive", name, every)
	}
	start := s.clock.Now().Truncate(every)
	return s.add(name, fn, gocron.DurationJob(every),
		gocron.WithStartAt(gocron.WithStartDateTimePast(start)))
}

// Cron runs fn on the leader at the times of the crontab expr (five fields,
// or six with seconds first) in tz, UTC when tz is nil; tz must be a named
// zone such as one from time.LoadLocation. Like Every, a run still going at
// the next time makes that time skip.
func (s *Scheduler) Cron(name, expr string, tz *time.Location, fn func(ctx context.Context) error) error {
	if tz == nil {
		tz = time.UTC
	}
	if strings.Contains(expr, "TZ=") {
		return fmt.Errorf("schedule: job %s: give the time zone as tz, not in %q", name, expr)
	}
	withSeconds := len(strings.Fields(expr)) == 6
	return s.add(name, fn, gocron.CronJob("CRON_TZ="+tz.String()+" "+expr, withSeconds))
}

// add registers a job under a unique name.
func (s *Scheduler) add(name string, fn func(ctx context.Context) error, def gocron.JobDefinition, opts ...gocron.JobOption) error {
	if name == "" || fn == nil {
		return errors.New("schedule: a job needs a name and a function")
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.stopped {
		return fmt.Errorf("schedule: job %s: scheduler is shut down", name)
	}
	if s.names[name] {
		return fmt.Errorf("schedule: job %s is already scheduled", name)
	}
	opts = append(opts, gocron.WithName(name), gocron.WithSingletonMode(gocron.LimitModeReschedule))
	if _, err := s.cron.NewJob(def, gocron.NewTask(s.wrap(name, fn)), opts...); err != nil {
		return fmt.Errorf("schedule: job %s: %w", name, err)
	}
	s.names[name] = true
	return nil
}

// wrap logs fn's errors and turns its panics into logged errors.
func (s *Scheduler) wrap(name string, fn func(ctx context.Context) error) func(ctx context.Context) error {
	return func(ctx context.Context) (err error) {
		start := time.Now()
		defer func() {
			if r := recover(); r != nil {
				err = fmt.Errorf("panic: %v", r)
				s.log.Error("scheduled job panicked", "job", name, "err", err, "stack", string(debug.Stack()))
				return
			}
			if err != nil {
				s.log.Error("scheduled job failed", "job", name, "err", err, "took", time.Since(start))
			}
		}()
		return fn(ctx)
	}
}

// Start starts running the jobs (on whichever replica leads) and the
// heartbeat that keeps or takes the lease. Starting twice does nothing.
func (s *Scheduler) Start() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.started || s.stopped {
		return
	}
	s.started = true
	ctx, cancel := context.WithCancel(context.Background())
	s.beat = cancel
	s.beating.Go(func() { s.heartbeat(ctx) })
	s.cron.Start()
}

// heartbeat renews or tries to take the lease every third of its TTL until
// ctx ends. It keeps time by the real clock, as the lease does.
func (s *Scheduler) heartbeat(ctx context.Context) {
	period := s.ttl / 3
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		callCtx, cancel := context.WithTimeout(ctx, period)
		err := s.lease.IsLeader(callCtx)
		cancel()
		if err != nil && !errors.Is(err, ErrNotLeader) && ctx.Err() == nil {
			s.log.Warn("scheduler lease check failed", "lease", s.lease.name, "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// Shutdown stops scheduling, cancels the context of the running jobs and
// waits for them (up to gocron's stop timeout, 10 s), then gives the lease up
// so that another replica takes over at once. When the jobs do not finish in
// time the lease is kept until it expires, and the timeout is returned.
func (s *Scheduler) Shutdown() error { return s.stop(true) }

// stop ends the scheduler, giving the lease up when release is set and the
// jobs finished; without release it leaves the lease to expire as a dead
// replica would.
func (s *Scheduler) stop(release bool) error {
	s.mu.Lock()
	if s.stopped {
		s.mu.Unlock()
		return nil
	}
	s.stopped = true
	beat := s.beat
	s.mu.Unlock()

	// Jobs still running keep the lease through the heartbeat, so that no
	// other replica starts them again meanwhile.
	err := s.cron.Shutdown()
	if beat != nil {
		beat()
		s.beating.Wait()
	}
	if err != nil {
		return fmt.Errorf("schedule: shutdown: %w", err)
	}
	if !release {
		return nil
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	return s.lease.Release(ctx)
}
