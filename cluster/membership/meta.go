package membership

import (
	"fmt"
	"time"

	"github.com/hashicorp/memberlist"
	"google.golang.org/protobuf/proto"

	vigilv1 "github.com/vigil-monitor/vigil/proto/vigil/v1"
)

// Meta is what a node tells the others about itself. Encoded, it must fit
// memberlist's node metadata limit (512 bytes).
type Meta struct {
	// AdminAddr is the host:port of the node's admin gRPC server.
	AdminAddr string
	// Capacity weighs the node's share of streams; 0 takes none.
	Capacity uint32
	// Version is vigil's version on the node.
	Version string
	// Draining is set while the node hands its streams off.
	Draining bool
	// BootID is random per process start.
	BootID uint64
	// StartedAt is when the process started.
	StartedAt time.Time
	// Leaving is set by Close just before the node leaves.
	Leaving bool
}

// MaxMetaSize is the most bytes an encoded Meta may take.
const MaxMetaSize = memberlist.MetaMaxSize

// Proto converts m to its wire form.
func (m Meta) Proto() *vigilv1.NodeMeta {
	return &vigilv1.NodeMeta{AdminAddr: m.AdminAddr, Capacity: m.Capacity, Version: m.Version,
		Draining: m.Draining, BootId: m.BootID, StartedAtUnixMs: m.StartedAt.UnixMilli(), Leaving: m.Leaving}
}

func (m Meta) encode() ([]byte, error) {
	b, err := proto.Marshal(m.Proto())
	if err != nil {
		return nil, fmt.Errorf("membership: encode meta: %w", err)
	}
	if len(b) > MaxMetaSize {
		return nil, fmt.Errorf("membership: node meta is %d bytes, limit %d", len(b), MaxMetaSize)
	}
	return b, nil
}

func decodeMeta(b []byte) (Meta, error) {
	var p vigilv1.NodeMeta
	if err := proto.Unmarshal(b, &p); err != nil {
		return Meta{}, fmt.Errorf("membership: decode meta: %w", err)
	}
	return Meta{AdminAddr: p.GetAdminAddr(), Capacity: p.GetCapacity(), Version: p.GetVersion(),
		Draining: p.GetDraining(), BootID: p.GetBootId(), StartedAt: time.UnixMilli(p.GetStartedAtUnixMs()), Leaving: p.GetLeaving()}, nil
}
