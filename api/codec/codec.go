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
	return c.fallback.Unmarshal(data, v)
}
