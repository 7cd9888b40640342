package cluster

import (
	"maps"
	"path/filepath"
	"slices"
	"time"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"

	"github.com/vigil-monitor/vigil/cluster/membership"
	"github.com/vigil-monitor/vigil/cluster/placement"
	"github.com/vigil-monitor/vigil/cluster/roster"
	"github.com/vigil-monitor/vigil/cluster/table"
)

// loop is the node's one goroutine of its own: it debounces changes into
// reconciliation, polls the Runner's status, saves the table and collects garbage.
// Every call to the Runner happens here.
func (n *Node) loop() {
	status := time.NewTicker(n.cfg.StatusInterval)
	defer status.Stop()
	gc := time.NewTicker(min(n.cfg.TombstoneRetention/10, time.Hour))
	defer gc.Stop()
	var reconcileC, saveC <-chan time.Time
	readyC := n.mem.Ready()
	var rosterTended, rosterSaved time.Time
	for {
		select {
		case <-n.stop:
			return
		case <-n.kickC:
			if reconcileC == nil {
				reconcileC = time.After(n.cfg.ReconcileDelay)
			}
		case <-reconcileC:
			reconcileC = nil
			n.reconcile()
		case <-readyC:
			readyC = nil // reconcile did nothing until now
			n.replace()
		case <-status.C:
			if now := n.cfg.Clock(); now.Sub(rosterTended) >= time.Second {
				n.tendRoster(now, &rosterSaved)
				rosterTended = now
			}
			n.pollStatus()
			if n.waiting() {
				n.reconcile()
			}
		case <-n.saveC:
			if saveC == nil {
				saveC = time.After(n.cfg.SaveDelay)
			}
		case <-saveC:
			saveC = nil
			n.save()
		case <-gc.C:
			if dropped := n.table.GC(n.cfg.Clock(), n.cfg.TombstoneRetention); len(dropped) > 0 {
				n.log.Info("tombstones collected", "rows", len(dropped))
				n.scheduleSave()
			}
		}
	}
}

// save writes the table to DataDir. Saves are serialized, so the file always ends up
// with the newest state.
func (n *Node) save() {
	if n.cfg.DataDir == "" {
		return
	}
	n.saveMu.Lock()
	defer n.saveMu.Unlock()
	if err := n.table.Save(filepath.Join(n.cfg.DataDir, tableFile), n.cfg.Clock()); err != nil {
		n.log.Error("save table", "err", err)
	}
}

// placeable returns the live rows that may be placed (not quarantined), by id.
func (n *Node) placeable() map[string]table.Entry {
	rows := make(map[string]table.Entry)
	for _, e := range n.table.Live() {
		if !e.Quarantined(n.cfg.MaxCrashes, n.cfg.CrashWindow) {
			rows[e.ID] = e
		}
	}
	return rows
}

// placementMembers returns the members of the layout, the roster, with their
// placement weights; a member is absent unless it is alive and neither draining nor
// leaving. The members seen alive are recorded in the roster first.
func (n *Node) placementMembers() []placement.Member {
	alive, present := n.aliveMembers()
	if n.roster.Observe(n.cfg.Clock(), alive) {
		n.rosterDirty.Store(true)
	}
	var ms []placement.Member
	for _, e := range n.roster.Entries() {
		ms = append(ms, placement.Member{Name: e.Name, Weight: float64(e.Capacity), Absent: !present[e.Name]})
	}
	return ms
}

// aliveMembers returns the members alive now, as roster entries, and which of them
// may own streams (not draining or leaving).
func (n *Node) aliveMembers() ([]roster.Entry, map[string]bool) {
	var alive []roster.Entry
	present := map[string]bool{}
	for _, m := range n.mem.Members() {
		if m.State != membership.StateAlive {
			continue
		}
		alive = append(alive, roster.Entry{Name: m.Name, Capacity: m.Meta.Capacity})
		away := m.Meta.Draining || m.Meta.Leaving
		if m.Name == n.cfg.Name {
			n.mu.Lock()
			away = away || n.draining
			n.mu.Unlock()
		}
		present[m.Name] = !away
	}
	return alive, present
}

// tendRoster records who is alive now, forgets the members away for longer than
// ForgetAfter (the layout then rebalances) and saves the roster when it changed,
// or every ForgetAfter/5 so that a restarted node knows how recent it is.
func (n *Node) tendRoster(now time.Time, lastSave *time.Time) {
	alive, _ := n.aliveMembers()
	changed := n.roster.Observe(now, alive)
	if gone := n.roster.Expire(now); len(gone) > 0 {
		n.log.Info("forgot members away for longer than forget-after; placement rebalances", "members", gone,
			"forget_after", n.cfg.ForgetAfter)
		changed = true
	}
	if changed {
		n.replace()
	}
	if n.rosterDirty.Swap(false) || changed || now.Sub(*lastSave) >= n.cfg.ForgetAfter/5 {
		n.saveRoster()
		*lastSave = now
	}
}

// saveRoster writes the roster to DataDir.
func (n *Node) saveRoster() {
	if n.cfg.DataDir == "" {
		return
	}
	if err := n.roster.Save(filepath.Join(n.cfg.DataDir, rosterFile)); err != nil {
		n.log.Error("save roster", "err", err)
	}
}

// refreshPlacement recomputes placement if it is stale.
func (n *Node) refreshPlacement() {
	n.placeMu.Lock()
	defer n.placeMu.Unlock()
	if !n.dirty.Swap(false) {
		return
	}
	rows := n.placeable()
	owners := placement.Place(n.cfg.Placement, n.placementMembers(), slicesKeys(rows))
	n.mu.Lock()
	n.rows, n.owners = rows, owners
	n.mu.Unlock()
	n.notify.signal()
}

// waiting reports whether time alone can change the plan: a hand-off whose grace
// may run out, or a failed start waiting for its retry.
func (n *Node) waiting() bool {
	n.mu.Lock()
	defer n.mu.Unlock()
	if len(n.retryAt) > 0 {
		return true
	}
	for _, r := range n.runs {
		if !r.handoff.IsZero() {
			return true
		}
	}
	return false
}

// reconcile recomputes placement if stale and brings the local runs in line. Before
// the node is ready (joined, or alone past the join timeout) it does nothing: a node
// restarting with a full table must not start every stream while it sees only itself.
func (n *Node) reconcile() {
	select {
	case <-n.mem.Ready():
	default:
		return
	}
	n.refreshPlacement()
	n.mu.Lock()
	var handoffs []string
	for id, r := range n.runs {
		if !r.handoff.IsZero() {
			handoffs = append(handoffs, id)
		}
	}
	n.mu.Unlock()
	peers := n.peers.runsOf(handoffs)
	n.mu.Lock()
	defer n.mu.Unlock()
	now := n.cfg.Clock()
	// A watch may arrive before this node has placed the stream here itself, so
	// watches are kept for the hand-off grace period rather than dropped when the
	// stream is not (yet) ours.
	for id, ws := range n.watchers {
		for node, since := range ws {
			if now.Sub(since) > n.cfg.HandoffGrace {
				delete(ws, node)
			}
		}
		if len(ws) == 0 {
			delete(n.watchers, id)
		}
	}
	acts := plan(view{self: n.cfg.Name, now: now, grace: n.cfg.HandoffGrace, owners: n.owners, rows: n.rows,
		runs: n.runs, peers: peers, retryAt: n.retryAt})
	if len(acts) == 0 {
		n.askForFirstFramesLocked(now) // the new owner may have changed, or not answered
		return
	}
	// Record what is about to run before starting it (see crash.go).
	next := maps.Clone(n.running)
	if next == nil {
		next = map[string]table.Version{}
	}
	for _, a := range acts {
		switch a.kind {
		case actStart, actRestart, actAdopt:
			next[a.id] = a.entry.Version
		}
	}
	n.writeRunning(next)
	for _, a := range acts {
		log := n.log.With("stream", a.id)
		switch a.kind {
		case actStart:
			n.startLocked(a.entry, now)
			log.Info("start", "why", a.why)
		case actRestart:
			n.runner.Stop(a.id)
			delete(n.runs, a.id)
			n.startLocked(a.entry, now)
			log.Info("restart", "why", a.why)
		case actStop:
			n.runner.Stop(a.id)
			delete(n.runs, a.id)
			delete(next, a.id)
			log.Info("stop", "why", a.why)
		case actAdopt:
			n.runs[a.id].entry = a.entry
		case actHandoff:
			n.runs[a.id].handoff = now
			log.Info("handing off", "why", a.why)
		case actReclaim:
			n.runs[a.id].handoff = time.Time{}
			n.runs[a.id].handoffTo = ""
			log.Info("keep", "why", a.why)
		}
	}
	n.askForFirstFramesLocked(now)
	for id := range next {
		if n.runs[id] == nil {
			delete(next, id)
		}
	}
	n.writeRunning(next)
	n.notify.signal()
}

// handoffAskInterval is how often a node handing a stream off asks the new owner
// again to report its first frame.
const handoffAskInterval = time.Second

// askForFirstFramesLocked asks the new owner of every stream being handed off to
// report its first decoded frame directly (again when the new owner changed).
func (n *Node) askForFirstFramesLocked(now time.Time) {
	asks := map[string][]string{}
	for id, r := range n.runs {
		if r.handoff.IsZero() {
			continue
		}
		// Ask again every second: the answer, or the question, may have been lost.
		owner := n.owners[id]
		if owner != "" && owner != n.cfg.Name && (owner != r.handoffTo || now.Sub(r.askedAt) >= handoffAskInterval) {
			r.handoffTo, r.askedAt = owner, now
			asks[owner] = append(asks[owner], id)
		}
	}
	for owner, ids := range asks {
		n.sendTo(owner, &vigilv1.Envelope{Kind: &vigilv1.Envelope_HandoffWatch{
			HandoffWatch: &vigilv1.HandoffWatch{Node: n.cfg.Name, Ids: ids}}})
	}
}

// watchHandoff records that node waits for this node's first frames of ids, and
// answers at once for the runs that already decode.
func (n *Node) watchHandoff(node string, ids []string) {
	n.mu.Lock()
	var ready []*vigilv1.RunStatus
	for _, id := range ids {
		if st := n.published[id]; st.GetRunningSinceUnixMs() != 0 {
			ready = append(ready, st)
			continue
		}
		if n.watchers[id] == nil {
			n.watchers[id] = map[string]time.Time{}
		}
		n.watchers[id][node] = n.cfg.Clock()
	}
	seq := n.statusSeq
	n.mu.Unlock()
	if len(ready) > 0 {
		n.sendTo(node, &vigilv1.Envelope{Kind: &vigilv1.Envelope_Status{Status: &vigilv1.StatusUpdate{
			Node: n.cfg.Name, Seq: seq, BootId: n.bootID, Runs: ready}}})
	}
}

// startLocked starts one stream with a fresh epoch.
func (n *Node) startLocked(e table.Entry, now time.Time) {
	epoch := uint64(n.clock.Now())
	if err := n.runner.Start(e.Spec.Clone(), epoch); err != nil {
		wait := max(n.cfg.StartBackoff, min(2*n.retryWait[e.ID], n.cfg.StartMaxBackoff))
		n.retryWait[e.ID] = wait
		n.retryAt[e.ID] = now.Add(wait)
		n.log.Warn("start failed", "stream", e.ID, "err", err, "retry_in", wait)
		return
	}
	delete(n.retryAt, e.ID)
	delete(n.retryWait, e.ID)
	n.runs[e.ID] = &run{entry: e, epoch: epoch}
}

// writeRunning persists the running set if it changed.
func (n *Node) writeRunning(set map[string]table.Version) {
	if n.cfg.DataDir == "" || maps.Equal(set, n.running) {
		return
	}
	path := filepath.Join(n.cfg.DataDir, runningFile)
	if err := writeRunningSet(path, n.cfg.Name, n.bootID, set, n.cfg.Clock()); err != nil {
		n.log.Error("running set", "err", err)
		return
	}
	n.running = maps.Clone(set)
}

// pollStatus reads the Runner's status and gossips what changed. A run that has
// just decoded its first frame is also announced directly to every other node that
// still runs the stream, so that the old owner can stop without waiting for gossip.
func (n *Node) pollStatus() {
	sts := n.runner.Status()
	n.mu.Lock()
	cur := make(map[string]StreamStatus, len(sts))
	var changed, firstFrames []*vigilv1.RunStatus
	for _, st := range sts {
		cur[st.ID] = st
		old, ok := n.lastStatus[st.ID]
		if ok && sameStatus(old, st) {
			continue
		}
		p := runStatusProto(st)
		n.published[st.ID] = p
		changed = append(changed, p)
		if !st.RunningSince.IsZero() && old.RunningSince.IsZero() {
			firstFrames = append(firstFrames, p)
		}
	}
	for id := range n.lastStatus {
		if _, ok := cur[id]; !ok {
			changed = append(changed, &vigilv1.RunStatus{Id: id, Removed: true})
			delete(n.published, id)
		}
	}
	n.lastStatus = cur
	if len(changed) == 0 {
		n.mu.Unlock()
		return
	}
	n.statusSeq++
	seq := n.statusSeq
	direct := map[string][]*vigilv1.RunStatus{}
	for _, st := range firstFrames {
		for node := range n.watchers[st.GetId()] {
			direct[node] = append(direct[node], st)
		}
		delete(n.watchers, st.GetId())
	}
	n.mu.Unlock()

	n.broadcastStatus(seq, changed)
	n.notify.signal()
	if len(firstFrames) == 0 && len(direct) == 0 {
		return
	}
	for _, st := range firstFrames {
		for _, node := range n.peers.runnersOf(st.GetId()) {
			if !slices.ContainsFunc(direct[node], func(o *vigilv1.RunStatus) bool { return o.GetId() == st.GetId() }) {
				direct[node] = append(direct[node], st)
			}
		}
	}
	for node, runs := range direct {
		n.sendTo(node, &vigilv1.Envelope{Kind: &vigilv1.Envelope_Status{Status: &vigilv1.StatusUpdate{
			Node: n.cfg.Name, Seq: seq, BootId: n.bootID, Runs: runs}}})
	}
}

// sameStatus reports whether two polls of a run are the same.
func sameStatus(a, b StreamStatus) bool {
	return a.ID == b.ID && a.Epoch == b.Epoch && a.State == b.State && a.RunningSince.Equal(b.RunningSince) &&
		a.Restarts == b.Restarts && a.Defects == b.Defects && a.LastError == b.LastError
}

// fullStatus is every current run of this node, for push/pull.
func (n *Node) fullStatus() *vigilv1.StatusUpdate {
	n.mu.Lock()
	defer n.mu.Unlock()
	u := &vigilv1.StatusUpdate{Node: n.cfg.Name, Seq: n.statusSeq, Full: true, BootId: n.bootID}
	for _, id := range slicesKeys(n.published) {
		u.Runs = append(u.Runs, n.published[id])
	}
	return u
}

// setDraining flags this node as draining (or not) and tells the others.
func (n *Node) setDraining(on bool) error {
	n.mu.Lock()
	changed := n.draining != on
	n.draining = on
	n.mu.Unlock()
	if !changed {
		return nil
	}
	n.log.Info("drain", "draining", on)
	n.replace()
	if err := n.mem.SetMeta(n.meta(), time.Second); err != nil {
		return err
	}
	return nil
}
