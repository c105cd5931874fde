package client

import (
	"crypto/tls"
	"fmt"
	"log/slog"
	"net"
	"strings"
	"time"

	"google.golang.org/grpc"
)

// Defaults and limits of Config.
const (
	CallTimeoutDefault  = 2 * time.Second
	RetryTimeoutDefault = 10 * time.Second
	RoutingTTLDefault   = 5 * time.Second
	// AddrsMax caps Config.Addrs.
	AddrsMax = 1_000
)

// Config configures a Client. The zero value of each duration takes its
// default; Validate names the field and value it refuses.
type Config struct {
	// Addrs are gRPC addresses ("host:port") of any nodes of the cluster.
	// One reachable node is enough: the client learns the others from
	// Cluster.Status and Cluster.Routing. Addresses with a gRPC scheme
	// ("dns:///host:port", "unix:///path") are passed to gRPC as they are.
	Addrs []string

	// TLS secures every connection; nil means plaintext. ServerName, if
	// empty, is taken from each node's address.
	TLS *tls.Config

	// CallTimeout bounds one attempt of a call (default 2s). An attempt's
	// deadline is min(CallTimeout, what is left of the call's deadline).
	// It does not apply to Watch streams, which live as long as their ctx.
	CallTimeout time.Duration

	// RetryTimeout bounds a call including its retries when the caller's
	// ctx has no deadline (default 10s). A ctx deadline always wins, longer
	// or shorter.
	RetryTimeout time.Duration

	// RoutingTTL is how long the client trusts an event's shard leaders
	// and the list of nodes before it asks again (default 5s). A call that
	// fails with UNAVAILABLE or carries a leader hint refreshes the event's
	// routing sooner.
	RoutingTTL time.Duration

	// Logger receives retries and routing refreshes at debug level; nil
	// discards them.
	Logger *slog.Logger

	// UnaryCommands sends Hold, Sell, Release, ExtendHold and Refund as
	// unary calls. By default they go as messages on one Inventory.Commands
	// stream per node, shared by every caller of the Client, which costs
	// both sides far less CPU per command; a node that does not serve
	// Commands (an older version) gets unary calls anyway. Unary calls
	// are what gRPC interceptors in DialOptions see one by one.
	UnaryCommands bool

	// DialOptions are appended to the options of every connection, after
	// the transport credentials (for interceptors, stats handlers, a
	// custom dialer in tests).
	DialOptions []grpc.DialOption
}

// Validate reports the first field of c that cannot be used.
func (c Config) Validate() error {
	if len(c.Addrs) == 0 {
		return fmt.Errorf("client config: Addrs is empty: give at least one node's gRPC address")
	}
	if len(c.Addrs) > AddrsMax {
		return fmt.Errorf("client config: Addrs has %d addresses, at most %d", len(c.Addrs), AddrsMax)
	}
	for i, addr := range c.Addrs {
		if err := checkAddr(addr); err != nil {
			return fmt.Errorf("client config: Addrs[%d] %q: %w", i, addr, err)
		}
	}
	durations := []struct {
		name  string
		value time.Duration
	}{
		{"CallTimeout", c.CallTimeout},
		{"RetryTimeout", c.RetryTimeout},
		{"RoutingTTL", c.RoutingTTL},
	}
	for _, d := range durations {
		if d.value < 0 {
			return fmt.Errorf("client config: %s %v is negative (0 takes the default)", d.name, d.value)
		}
	}
	return nil
}

func checkAddr(addr string) error {
	if addr == "" {
		return fmt.Errorf("empty")
	}
	if strings.ContainsAny(addr, " \t\r\n,") {
		return fmt.Errorf("contains a space or a comma")
	}
	if strings.Contains(addr, ":///") || strings.HasPrefix(addr, "unix:") {
		return nil // a gRPC target with a scheme
	}
	host, port, err := net.SplitHostPort(addr)
	if err != nil {
		return fmt.Errorf("want host:port: %w", err)
	}
	if port == "" {
		return fmt.Errorf("no port")
	}
	_ = host // empty host means localhost, as for net.Dial
	return nil
}

func (c Config) withDefaults() Config {
	if c.CallTimeout == 0 {
		c.CallTimeout = CallTimeoutDefault
	}
	if c.RetryTimeout == 0 {
		c.RetryTimeout = RetryTimeoutDefault
	}
	if c.RoutingTTL == 0 {
		c.RoutingTTL = RoutingTTLDefault
	}
	if c.Logger == nil {
		c.Logger = slog.New(slog.DiscardHandler)
	}
	return c
}
