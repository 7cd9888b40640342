package synth

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"
)

// Server serves live channels over HTTP:
//
//	GET  /                       the channels, their schedules and truth, as JSON (Status)
//	GET  /ch/<n>.ts              channel n as progressive MPEG-TS, from the last key frame
//	POST /ch/<n>/stall?seconds=S stop sending channel n to its clients for S seconds
//	POST /ch/<n>/reset           close every connection to channel n
//
// A stream response carries X-Synth-Start, the channel media time of its first key
// frame. Clients that fall behind are disconnected; a stalled channel keeps its
// connections open and sends nothing. The Server does not own its channels.
type Server struct {
	channels []*Channel
	mux      *http.ServeMux
}

// NewServer returns a server for channels, numbered from 0 in the given order.
func NewServer(channels []*Channel) *Server {
	s := &Server{channels: channels, mux: http.NewServeMux()}
	s.mux.HandleFunc("GET /{$}", s.status)
	s.mux.HandleFunc("GET /ch/{file}", s.stream)
	s.mux.HandleFunc("POST /ch/{n}/stall", s.stall)
	s.mux.HandleFunc("POST /ch/{n}/reset", s.reset)
	return s
}

// ServeHTTP implements http.Handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) { s.mux.ServeHTTP(w, r) }

// Status is the JSON document GET / returns.
type Status struct {
	// Channels lists every channel by number.
	Channels []ChannelStatus `json:"channels"`
}

// ChannelStatus describes one channel in Status. Times without a unit are seconds.
type ChannelStatus struct {
	// ID is the channel number; URL its stream path.
	ID  int    `json:"id"`
	URL string `json:"url"`
	// Codec, Width, Height, FPS and GOP describe the video.
	Codec  string `json:"codec"`
	Width  int    `json:"width"`
	Height int    `json:"height"`
	FPS    int    `json:"fps"`
	GOP    int    `json:"gop"`
	// Content is what the picture shows.
	Content Content `json:"content"`
	// Clients is the number of connected clients; Stalled reports a stall in force.
	Clients int  `json:"clients"`
	Stalled bool `json:"stalled"`
	// Started is when the channel's media time was 0.
	Started time.Time `json:"started"`
	// Position is the generator time of the live edge (seconds since Started);
	// MediaPosition is its media time (see Channel.MediaPosition).
	Position      float64 `json:"position"`
	MediaPosition float64 `json:"media_position"`
	// Schedule is the defect schedule; Impairments and Truth cover the slot before
	// the live edge and one full cycle after it (Impairments in generator time, Truth
	// in media time).
	Schedule    Schedule     `json:"schedule"`
	Impairments []Impairment `json:"impairments"`
	Truth       []Truth      `json:"truth"`
}

// channelStatus returns the status of channel c numbered id.
func channelStatus(id int, c *Channel) ChannelStatus {
	pos := c.Position()
	sp, sc := c.Spec(), c.Schedule()
	from, to := pos-sc.Slot, pos+sc.cycle()
	return ChannelStatus{
		ID: id, URL: fmt.Sprintf("/ch/%d.ts", id),
		Codec: sp.Codec, Width: sp.Width, Height: sp.Height, FPS: sp.FPS, GOP: sp.GOP, Content: sp.Content,
		Clients: c.Clients(), Stalled: c.Stalled(),
		Started: c.Started(), Position: pos, MediaPosition: c.MediaPosition(),
		Schedule: sc, Impairments: c.Impairments(from, to), Truth: c.Truths(from, to),
	}
}

func (s *Server) status(w http.ResponseWriter, r *http.Request) {
	st := Status{Channels: []ChannelStatus{}}
	for i, c := range s.channels {
		st.Channels = append(st.Channels, channelStatus(i, c))
	}
	w.Header().Set("Content-Type", "application/json")
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.Encode(st) //nolint:errcheck // the client went away
}

// channel returns the channel numbered by the path value name, or writes a 404.
func (s *Server) channel(w http.ResponseWriter, r *http.Request, name, suffix string) (*Channel, bool) {
	v, ok := strings.CutSuffix(r.PathValue(name), suffix)
	n, err := strconv.Atoi(v)
	if !ok || err != nil || n < 0 || n >= len(s.channels) || strconv.Itoa(n) != v {
		http.Error(w, "no such channel", http.StatusNotFound)
		return nil, false
	}
	return s.channels[n], true
}

func (s *Server) stall(w http.ResponseWriter, r *http.Request) {
	c, ok := s.channel(w, r, "n", "")
	if !ok {
		return
	}
	sec, err := strconv.ParseFloat(r.URL.Query().Get("seconds"), 64)
	if err != nil || !(sec > 0 && sec <= 3600) {
		http.Error(w, "seconds must be a number in (0, 3600]", http.StatusBadRequest)
		return
	}
	c.Stall(time.Duration(sec * float64(time.Second)))
	w.WriteHeader(http.StatusNoContent)
}

func (s *Server) reset(w http.ResponseWriter, r *http.Request) {
	c, ok := s.channel(w, r, "n", "")
	if !ok {
		return
	}
	c.Reset()
	w.WriteHeader(http.StatusNoContent)
}

// stream sends a channel to one client until it disconnects, falls behind, or the
// channel is reset or closed; then the connection is cut without a clean end, as a
// failing source would.
func (s *Server) stream(w http.ResponseWriter, r *http.Request) {
	c, ok := s.channel(w, r, "file", ".ts")
	if !ok {
		return
	}
	cl := c.Subscribe()
	defer cl.Close()
	var first []byte
	select {
	case first = <-cl.Chunks():
	case <-cl.Done():
		http.Error(w, "channel unavailable", http.StatusServiceUnavailable)
		return
	case <-r.Context().Done():
		return
	}
	start, _ := cl.Start()
	h := w.Header()
	h.Set("Content-Type", "video/mp2t")
	h.Set("Cache-Control", "no-store")
	h.Set("X-Synth-Start", strconv.FormatFloat(start, 'f', -1, 64))
	w.WriteHeader(http.StatusOK)

	// A write blocked on a client that stopped reading is cut short when the client
	// is dropped: a deadline in the past fails it at once.
	rc := http.NewResponseController(w)
	stop := make(chan struct{})
	var wg sync.WaitGroup
	wg.Add(1)
	go func() {
		defer wg.Done()
		select {
		case <-cl.Done():
			rc.SetWriteDeadline(time.Unix(1, 0)) //nolint:errcheck // nothing to do if it fails
		case <-stop:
		}
	}()
	defer wg.Wait()
	defer close(stop)

	for p := first; ; {
		if _, err := w.Write(p); err != nil {
			return
		}
		if err := rc.Flush(); err != nil {
			return
		}
		select {
		case p = <-cl.Chunks():
		case <-cl.Done():
			panic(http.ErrAbortHandler) // cut the connection, no clean end
		case <-r.Context().Done():
			return
		}
	}
}
