package cluster

import (
	"reflect"
	"testing"
	"time"

	"github.com/vigil-monitor/vigil/cluster/hlc"
	"github.com/vigil-monitor/vigil/cluster/table"
)

func TestPlan(t *testing.T) {
	now := time.Unix(1000, 0)
	row := func(id, url string, v uint64) table.Entry {
		return table.Entry{ID: id, Version: table.Version{Time: hlc.Timestamp(v), Node: "x"}, Spec: StreamSpec{ID: id, URL: url}}
	}
	a := row("a", "http://a", 1)
	tests := []struct {
		name string
		v    view
		want []action
	}{
		{
			name: "placed here, not running: start",
			v:    view{self: "me", owners: map[string]string{"a": "me"}, rows: map[string]table.Entry{"a": a}},
			want: []action{{kind: actStart, id: "a", entry: a}},
		},
		{
			name: "placed here, start failed recently: wait",
			v: view{self: "me", owners: map[string]string{"a": "me"}, rows: map[string]table.Entry{"a": a},
				retryAt: map[string]time.Time{"a": now.Add(time.Second)}},
		},
		{
			name: "placed elsewhere, not running: nothing",
			v:    view{self: "me", owners: map[string]string{"a": "other"}, rows: map[string]table.Entry{"a": a}},
		},
		{
			name: "running and placed here: nothing",
			v: view{self: "me", owners: map[string]string{"a": "me"}, rows: map[string]table.Entry{"a": a},
				runs: map[string]*run{"a": {entry: a, epoch: 5}}},
		},
		{
			name: "moved away: hand off first",
			v: view{self: "me", owners: map[string]string{"a": "other"}, rows: map[string]table.Entry{"a": a},
				runs: map[string]*run{"a": {entry: a, epoch: 5}}},
			want: []action{{kind: actHandoff, id: "a"}},
		},
		{
			name: "handing off, new owner still starting: keep",
			v: view{self: "me", owners: map[string]string{"a": "other"}, rows: map[string]table.Entry{"a": a},
				runs:  map[string]*run{"a": {entry: a, epoch: 5, handoff: now.Add(-time.Second)}},
				peers: map[string]map[string]peerRun{"a": {"other": {epoch: 9}}}},
		},
		{
			name: "handing off, new owner decodes: stop",
			v: view{self: "me", owners: map[string]string{"a": "other"}, rows: map[string]table.Entry{"a": a},
				runs:  map[string]*run{"a": {entry: a, epoch: 5, handoff: now.Add(-time.Second)}},
				peers: map[string]map[string]peerRun{"a": {"other": {epoch: 9, runningSince: now, reported: now}}}},
			want: []action{{kind: actStop, id: "a"}},
		},
		{
			// The new owner's report predates the hand-off: it may describe a run it
			// stopped since (placement flapped back within a status interval).
			name: "handing off, new owner decoded before the hand-off began: keep",
			v: view{self: "me", owners: map[string]string{"a": "other"}, rows: map[string]table.Entry{"a": a},
				runs:  map[string]*run{"a": {entry: a, epoch: 5, handoff: now.Add(-time.Second)}},
				peers: map[string]map[string]peerRun{"a": {"other": {epoch: 9, runningSince: now.Add(-time.Minute), reported: now.Add(-2 * time.Second)}}}},
		},
		{
			name: "handing off, a third node decodes: keep",
			v: view{self: "me", owners: map[string]string{"a": "other"}, rows: map[string]table.Entry{"a": a},
				runs:  map[string]*run{"a": {entry: a, epoch: 5, handoff: now.Add(-time.Second)}},
				peers: map[string]map[string]peerRun{"a": {"third": {epoch: 9, runningSince: now, reported: now}}}},
		},
		{
			name: "handing off, grace over: stop",
			v: view{self: "me", owners: map[string]string{"a": "other"}, rows: map[string]table.Entry{"a": a},
				runs: map[string]*run{"a": {entry: a, epoch: 5, handoff: now.Add(-10 * time.Second)}}},
			want: []action{{kind: actStop, id: "a"}},
		},
		{
			name: "unplaced (everyone draining): hand off, then grace",
			v: view{self: "me", rows: map[string]table.Entry{"a": a},
				runs: map[string]*run{"a": {entry: a, epoch: 5}}},
			want: []action{{kind: actHandoff, id: "a"}},
		},
		{
			name: "placed here again while handing off: keep it",
			v: view{self: "me", owners: map[string]string{"a": "me"}, rows: map[string]table.Entry{"a": a},
				runs: map[string]*run{"a": {entry: a, epoch: 5, handoff: now.Add(-time.Second)}}},
			want: []action{{kind: actReclaim, id: "a"}},
		},
		{
			name: "removed: stop at once",
			v:    view{self: "me", runs: map[string]*run{"a": {entry: a, epoch: 5}}},
			want: []action{{kind: actStop, id: "a"}},
		},
		{
			name: "spec changed: restart",
			v: view{self: "me", owners: map[string]string{"a": "me"}, rows: map[string]table.Entry{"a": row("a", "http://b", 2)},
				runs: map[string]*run{"a": {entry: a, epoch: 5}}},
			want: []action{{kind: actRestart, id: "a", entry: row("a", "http://b", 2)}},
		},
		{
			name: "same spec, new version (crash records cleared): adopt without restart",
			v: view{self: "me", owners: map[string]string{"a": "me"}, rows: map[string]table.Entry{"a": row("a", "http://a", 2)},
				runs: map[string]*run{"a": {entry: a, epoch: 5}}},
			want: []action{{kind: actAdopt, id: "a", entry: row("a", "http://a", 2)}},
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			tc.v.now = now
			tc.v.grace = 5 * time.Second
			got := plan(tc.v)
			for i := range got {
				got[i].why = ""
			}
			if !reflect.DeepEqual(got, tc.want) {
				t.Fatalf("plan =\n%+v\nwant\n%+v", got, tc.want)
			}
		})
	}
}
