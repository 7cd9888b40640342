package synth

import (
	"errors"
	"fmt"
	"io"

	"github.com/asticode/go-astiav"
)

// ioBufferSize is the size of the buffer between the muxer and the writer.
const ioBufferSize = 32 << 10

// AVSEEK_SIZE and AVSEEK_FORCE, which FFmpeg may or into a seek's whence.
const (
	avseekSize  = 0x10000
	avseekForce = 0x20000
)

// errClosed is returned by the muxer's output once the muxer is closed.
var errClosed = errors.New("synth: output closed")

// output is what the muxer's write callback writes to. go-astiav v0.16.0 keeps the
// callbacks of every IO context for the life of the process, so they reach the writer
// only through this indirection, which close cuts.
type output struct {
	w   io.Writer
	err error // first error from w
}

// muxer writes packets into a container through a custom IO context over a writer.
// Packets are written with av_write_frame in the order the caller gives them (see
// interleaver), not reordered by FFmpeg.
type muxer struct {
	fc  *astiav.FormatContext
	ioc *astiav.IOContext
	out *output
	// flushEach flushes the IO buffer after every packet (live output).
	flushEach bool
	// onKey, if set, is called before a key video packet is written, once every byte
	// before it has reached the writer, with the packet's media time.
	onKey func(at float64)
	// wroteHeader is set once the header is written; the trailer needs it.
	wroteHeader bool
}

// newMuxer allocates the output context for format over w; seekable says w is an
// io.WriteSeeker that really seeks (MP4 then gets a normal index at the end, Matroska
// cues; otherwise MP4 is fragmented).
func newMuxer(format string, w io.Writer, seekable bool) (*muxer, error) {
	fc, err := astiav.AllocOutputFormatContext(nil, format, "")
	if err != nil {
		return nil, fmt.Errorf("alloc %s muxer: %w", format, err)
	}
	if fc == nil {
		return nil, fmt.Errorf("alloc %s muxer: %w", format, errAlloc)
	}
	m := &muxer{fc: fc, out: &output{w: w}}
	var seek astiav.IOContextSeekFunc
	if ws, ok := w.(io.WriteSeeker); ok && seekable {
		seek = func(offset int64, whence int) (int64, error) {
			if whence&avseekSize != 0 {
				return 0, astiav.ErrUnknown // size unknown; FFmpeg copes
			}
			return ws.Seek(offset, whence&^avseekForce)
		}
	}
	out := m.out
	m.ioc, err = astiav.AllocIOContext(ioBufferSize, true, nil, seek, func(b []byte) (int, error) {
		if out.w == nil {
			return 0, errClosed
		}
		n, err := out.w.Write(b)
		if err != nil && out.err == nil {
			out.err = err
		}
		return n, err
	})
	if err != nil {
		fc.Free()
		return nil, fmt.Errorf("alloc io context: %w", err)
	}
	fc.SetPb(m.ioc)
	return m, nil
}

// globalHeader reports whether the container wants codec headers out of band.
func (m *muxer) globalHeader() bool {
	return m.fc.OutputFormat().Flags().Has(astiav.IOFormatFlagGlobalheader)
}

// addStream adds an output stream for encoder e.
func (m *muxer) addStream(e *encoder) error {
	st := m.fc.NewStream(nil)
	if st == nil {
		return fmt.Errorf("new stream: %w", errAlloc)
	}
	if err := st.CodecParameters().FromCodecContext(e.cc); err != nil {
		return fmt.Errorf("stream parameters: %w", err)
	}
	st.SetTimeBase(e.tb)
	e.st = st
	return nil
}

// writeHeader writes the container header; stream time bases are final afterwards.
func (m *muxer) writeHeader(format string, seekable bool) error {
	opts := astiav.NewDictionary()
	defer opts.Free()
	switch {
	case format == "mp4" && !seekable:
		if err := setOpts(opts, "movflags", "frag_keyframe+empty_moov+default_base_moof"); err != nil {
			return err
		}
	case format == "matroska":
		// Matroska cannot store the negative time stamps of B-frame delay and AAC
		// priming; shift everything by the first packet's instead.
		if err := setOpts(opts, "avoid_negative_ts", "make_zero"); err != nil {
			return err
		}
	}
	if err := m.fc.WriteHeader(opts); err != nil {
		return m.fail("write header", err)
	}
	m.wroteHeader = true
	return nil
}

// write writes one packet (its stream index and time stamps already in the output
// stream's terms) and frees it.
func (m *muxer) write(q queued) error {
	defer q.pkt.Free()
	if q.video && q.pkt.Flags().Has(astiav.PacketFlagKey) && m.onKey != nil {
		m.ioc.Flush()
		if m.out.err != nil {
			return m.fail("write", m.out.err)
		}
		m.onKey(q.at)
	}
	if err := m.fc.WriteFrame(q.pkt); err != nil {
		return m.fail("write packet", err)
	}
	if m.flushEach {
		m.ioc.Flush()
	}
	if m.out.err != nil {
		return m.fail("write", m.out.err)
	}
	return nil
}

// finish writes the trailer and flushes everything to the writer.
func (m *muxer) finish() error {
	if err := m.fc.WriteTrailer(); err != nil {
		return m.fail("write trailer", err)
	}
	m.ioc.Flush()
	if m.out.err != nil {
		return m.fail("write", m.out.err)
	}
	return nil
}

// fail prefers the writer's own error, which explains an FFmpeg I/O failure.
func (m *muxer) fail(what string, err error) error {
	if m.out.err != nil {
		return fmt.Errorf("%s: %w", what, m.out.err)
	}
	return fmt.Errorf("%s: %w", what, err)
}

// close frees the muxer without writing anything more.
func (m *muxer) close() {
	m.out.w = nil
	m.fc.Free()
	m.ioc.Free()
}

// queued is an encoded packet waiting for its turn to be written.
type queued struct {
	pkt   *astiav.Packet
	key   float64 // generator time that orders packets across streams, seconds
	at    float64 // media time of a video packet (its shifted time stamp), seconds
	video bool
}

// interleaver orders packets of the two streams by key and releases a packet once
// the other stream has one at least as late, or at the end. The key of an audio packet
// is its time before any av_offset shift, so shifted packets land next to the video
// of the same moment.
type interleaver struct {
	v, a []queued
}

func (q *interleaver) push(x queued) {
	if x.video {
		q.v = append(q.v, x)
	} else {
		q.a = append(q.a, x)
	}
}

// next returns the next packet to write; with all set it drains both queues.
func (q *interleaver) next(all bool) (queued, bool) {
	switch {
	case len(q.v) > 0 && len(q.a) > 0:
		if q.a[0].key < q.v[0].key {
			return q.popA(), true
		}
		return q.popV(), true
	case all && len(q.v) > 0:
		return q.popV(), true
	case all && len(q.a) > 0:
		return q.popA(), true
	}
	return queued{}, false
}

func (q *interleaver) popV() queued {
	x := q.v[0]
	q.v[0] = queued{}
	q.v = q.v[1:]
	return x
}

func (q *interleaver) popA() queued {
	x := q.a[0]
	q.a[0] = queued{}
	q.a = q.a[1:]
	return x
}

// drop frees every queued packet.
func (q *interleaver) drop() {
	for _, x := range q.v {
		x.pkt.Free()
	}
	for _, x := range q.a {
		x.pkt.Free()
	}
	q.v, q.a = nil, nil
}
