package upload

import (
	"context"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"github.com/VictoriaMetrics/metrics"
	"github.com/rs/zerolog"

	"github.com/rtgw/realtime/store"
)

// Publisher appends the upload.completed event to the org's log.
// store.Log implements it.
type Publisher interface {
	Publish(ctx context.Context, org string, evs ...store.Input) (first, last int64, err error)
}

// Options is what the gateway lends the uploads besides their Config.
type Options struct {
	// Log publishes upload.completed (required when uploads are enabled).
	Log Publisher
	// RedisTimeout bounds each Redis call an upload makes (required).
	RedisTimeout time.Duration
	// Logger hears storage failures; nil: none.
	Logger *zerolog.Logger
	// Metrics receives the upload series, named MetricsPrefix + "uploads_…"
	// (required).
	Metrics       *metrics.Set
	MetricsPrefix string
	// RedisErrors is the node's shared Redis error counter; nil: not counted.
	RedisErrors *metrics.Counter
}

// ctlQueue bounds upload starts, resumes and aborts waiting for the upload
// workers (they call Redis and storage); past it clients are told to retry.
const ctlQueue = 256

// Service is the uploads of one gateway node: the uploads it writes, the
// workers that write them, the sweep, the HTTP routes and the reader-side
// message handlers. It never touches a socket: it sees connections through
// Conn. Build it with New, start its goroutines with Start, stop them with
// Close.
type Service struct {
	cfg     Config
	opts    Options
	log     *zerolog.Logger
	metrics *uploadMetrics
	active  *uploadRegistry
	chunks  *chunkPool
	work    chan *upload // uploads with chunks to write (each queued at most once)
	ctl     chan func()  // start, resume and abort operations

	buffered atomic.Int64 // chunk bytes received on every connection, not yet stored

	stop     chan struct{}
	stopOnce sync.Once
	wg       sync.WaitGroup
}

// New checks cfg and fills its defaults; with no cfg.Storage uploads are
// disabled and every upload message is answered with upload_disabled.
func New(cfg Config, o Options) (*Service, error) {
	if err := cfg.setDefaults(); err != nil {
		return nil, err
	}
	if cfg.Storage != nil && (o.Log == nil || o.RedisTimeout <= 0) {
		return nil, fmt.Errorf("%w: Options.Log and RedisTimeout are required", ErrConfig)
	}
	if o.Logger == nil {
		l := zerolog.Nop()
		o.Logger = &l
	}
	s := &Service{
		cfg:     cfg,
		opts:    o,
		log:     o.Logger,
		metrics: newUploadMetrics(o.Metrics, o.MetricsPrefix),
		active:  &uploadRegistry{m: make(map[string]*upload), max: cfg.MaxActive},
		chunks:  &chunkPool{size: cfg.ChunkBytes},
		// Each upload is queued at most once at a time; released uploads
		// can still be in flight, hence the headroom over MaxActive.
		work: make(chan *upload, 2*cfg.MaxActive+cfg.Workers),
		ctl:  make(chan func(), ctlQueue),
		stop: make(chan struct{}),
	}
	o.Metrics.NewGauge(o.MetricsPrefix+"uploads_active", func() float64 { return float64(s.active.len()) })
	o.Metrics.NewGauge(o.MetricsPrefix+"upload_buffered_bytes", func() float64 { return float64(s.buffered.Load()) })
	return s, nil
}

// Enabled reports whether uploads are on (Config.Storage is set).
func (s *Service) Enabled() bool { return s.cfg.Storage != nil }

// Start runs the upload workers and the sweep, when uploads are enabled.
func (s *Service) Start() {
	if !s.Enabled() {
		return
	}
	for range s.cfg.Workers {
		s.spawn(s.runWorker)
	}
	s.spawn(s.sweep)
}

// Close stops the workers and the sweep and waits for them. Uploads still
// registered stay so: their state is in Redis and their bytes on storage,
// and a resume continues them.
func (s *Service) Close() {
	s.stopOnce.Do(func() { close(s.stop) })
	s.wg.Wait()
}

func (s *Service) spawn(f func()) {
	s.wg.Add(1)
	go func() {
		defer s.wg.Done()
		f()
	}()
}

// Active is the number of uploads this node is writing.
func (s *Service) Active() int { return s.active.len() }

// BufferBytes is the read gate's cap: the received, not yet stored chunk
// bytes one connection may hold before its reads pause.
func (s *Service) BufferBytes() int { return s.cfg.BufferBytes }

// ReadsPaused counts one pause of a connection's reads for storage
// (upload_reads_paused_total); the gateway calls it when a reader parks.
func (s *Service) ReadsPaused() { s.metrics.paused.Inc() }

// runWorker is one upload worker: it runs control operations and writes
// queued chunks to storage, off the readers, so slow storage or Redis
// never holds a reader.
func (s *Service) runWorker() {
	for {
		select {
		case <-s.stop:
			return
		case f := <-s.ctl:
			f()
		case u := <-s.work:
			u.run()
		}
	}
}

// redisCtx bounds one upload operation's Redis calls.
func (s *Service) redisCtx() (context.Context, context.CancelFunc) {
	return context.WithTimeout(context.Background(), s.opts.RedisTimeout)
}

func (s *Service) redisError() {
	if s.opts.RedisErrors != nil {
		s.opts.RedisErrors.Inc()
	}
}
