// Package codec makes gRPC encode Boxoffice's messages with the code
// protoc-gen-go-vtproto generates (SizeVT, MarshalToSizedBufferVT:
// straight-line code per message) instead of the protobuf runtime's
// reflection. The wire format is protobuf either way. A message without the
// generated methods (a well-known type, another service's) is encoded by
// gRPC's own codec.
//
// Importing the package changes nothing: gRPC's "proto" codec stays the
// process's default, and each connection chooses. A node's servers and its
// connections to other nodes use Server (grpc.ForceServerCodecV2,
// grpc.ForceCodecV2), the Go client's connections use Client
// (grpc.ForceCodecV2). A library must not replace a codec for the whole
// process that imports it: the process may talk to other services whose
// messages it has its own reasons to encode.
package codec

import (
	"fmt"

	"google.golang.org/grpc/encoding"
	_ "google.golang.org/grpc/encoding/proto" // registers gRPC's codec, read into runtimeCodec
	"google.golang.org/grpc/mem"
)

// Message is what protoc-gen-go-vtproto generates for a message with the
// features marshal and size.
type Message interface {
	SizeVT() int
	MarshalToSizedBufferVT(dst []byte) (int, error)
}

// Name is gRPC's name for the protobuf codec. The codecs of this package
// carry it too, so a peer sees the usual content type "application/grpc".
const Name = "proto"

// runtimeCodec is gRPC's own protobuf codec, which encodes and decodes with the
// protobuf runtime's reflection.
var runtimeCodec = protoCodec()

func protoCodec() encoding.CodecV2 {
	c := encoding.GetCodecV2(Name)
	if c == nil {
		panic("codec: gRPC's proto codec is not registered")
	}
	return c
}

type vtCodec struct {
	fallback encoding.CodecV2
	// decodeVT: decode with the generated UnmarshalVT too (Client).
	decodeVT bool
}

// Server returns the codec for a node's gRPC servers and for its
// connections to other nodes. It encodes with the generated code and
// decodes with gRPC's codec, which checks that every string is valid UTF-8
// (the generated UnmarshalVT does not, and a request with a bad string must
// be refused at the door, not replicated).
func Server() encoding.CodecV2 {
	return vtCodec{fallback: runtimeCodec}
}

// Client returns the codec for a client's connections to Boxoffice nodes.
// Unlike Server it also decodes with the generated code, which does not
// check strings for UTF-8: what a node sends was checked when it came in,
// or was made by the node. A client reading many seat maps spends a fifth
// of its CPU decoding them with the protobuf runtime.
func Client() encoding.CodecV2 {
	return vtCodec{fallback: runtimeCodec, decodeVT: true}
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
