// Package codec makes gRPC encode Boxoffice's messages with the code
// protoc-gen-go-vtproto generates (SizeVT, MarshalToSizedBufferVT:
// straight-line code per message) instead of the protobuf runtime's
// reflection. The wire format is protobuf either way. Decoding stays with
// gRPC's own codec, which checks that every string is valid UTF-8 (the
// generated UnmarshalVT does not, and a request with a bad string must be
// refused at the door, not replicated); a message without the generated
// methods (a well-known type, another service's) is encoded by gRPC's
// codec too.
//
// Importing the package registers the codec under gRPC's name "proto" for
// the whole process; node, the Go client and the gateway import it.
package codec

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers the fallback first
	"google.golang.org/grpc/mem"
)

// Message is what protoc-gen-go-vtproto generates for a message with the
// features marshal and size.
type Message interface {
	SizeVT() int
	MarshalToSizedBufferVT(dst []byte) (int, error)
}

// Name is gRPC's name for the protobuf codec, which this one replaces.
const Name = "proto"

func init() {
	fallback := encoding.GetCodecV2(Name)
	if fallback == nil {
		panic("codec: gRPC's proto codec is not registered")
	}
	encoding.RegisterCodecV2(vtCodec{fallback: fallback})
}

type vtCodec struct {
	fallback encoding.CodecV2
	// decodeVT: decode with the generated UnmarshalVT too (Client).
	decodeVT bool
}

// Client returns the codec for a client's connections to Boxoffice nodes
// (grpc.ForceCodecV2): it also decodes with the generated code, which does
// not check strings for UTF-8 — what a node sends was checked when it came
// in, or was made by the node. A client reading many seat maps spends a
// fifth of its CPU decoding them with the protobuf runtime.
func Client() encoding.CodecV2 {
	c := encoding.GetCodecV2(Name).(vtCodec)
	c.decodeVT = true
	return c
}

func (vtCodec) Name() string { return Name }

func (c vtCodec) Marshal(v any) (mem.BufferSlice, error) {
	m, ok := v.(Message)
	if !ok {
		return c.fallback.Marshal(v)
	}
	size := m.SizeVT()
	if mem.IsBelowBufferPoolingThreshold(size) {
		buf := make([]byte, size)
		if _, err := m.MarshalToSizedBufferVT(buf); err != nil {
			return nil, fmt.Errorf("codec: marshal %T: %w", v, err)
		}
		return mem.BufferSlice{mem.SliceBuffer(buf)}, nil
	}
	pool := mem.DefaultBufferPool()
	buf := pool.Get(size)
	if _, err := m.MarshalToSizedBufferVT((*buf)[:size]); err != nil {
		pool.Put(buf)
		return nil, fmt.Errorf("codec: marshal %T: %w", v, err)
	}
	return mem.BufferSlice{mem.NewBuffer(buf, pool)}, nil
}

func (c vtCodec) Unmarshal(data mem.BufferSlice, v any) error {
	m, ok := v.(interface{ UnmarshalVT([]byte) error })
	if !c.decodeVT || !ok {
		return c.fallback.Unmarshal(data, v)
	}
	// The generated code copies strings and bytes out of the buffer, so it
	// can go back to the pool at once.
	buf := data.MaterializeToBuffer(mem.DefaultBufferPool())
	defer buf.Free()
	if err := m.UnmarshalVT(buf.ReadOnlyData()); err != nil {
		return fmt.Errorf("codec: unmarshal %T: %w", v, err)
	}
	return nil
}
