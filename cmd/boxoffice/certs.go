package main

import (
	"flag"
	"fmt"
	"io"
	"strings"
	"time"

	"github.com/boxoffice/boxoffice/node/nodetls"
)

func runCerts(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("boxoffice certs", flag.ContinueOnError)
	fs.SetOutput(stderr)
	useHelp(fs, certsHelp)
	dir := fs.String("out", "certs", "directory to write PEM files into")
	nodes := fs.String("nodes", "n1,n2,n3", "comma-separated node names (each gets a server certificate)")
	clients := fs.String("clients", "gateway:gateway,operator:operator",
		"comma-separated client `name:role` pairs, role one of gateway, operator, reader (gRPC port only; refused on the peer port)")
	serverName := fs.String("server-name", "server.boxoffice", "DNS name that marks a certificate as a node's")
	https := fs.String("https", "", "comma-separated host names or addresses: also issue https.pem, a role-less server certificate for the gateway's HTTPS port")
	valid := fs.Duration("valid", 365*24*time.Hour, "validity")
	if err := fs.Parse(args); err != nil {
		return err
	}
	split := func(s string) []string {
		if s == "" {
			return nil
		}
		return strings.Split(s, ",")
	}
	clientCerts, err := nodetls.ParseClientCerts(*clients)
	if err != nil {
		return fmt.Errorf("--clients: %w", err)
	}
	if err := nodetls.DevCerts(*dir, *serverName, split(*nodes), clientCerts, *valid); err != nil {
		return err
	}
	if *https != "" {
		if err := nodetls.DevHTTPSCert(*dir, "https", split(*https), *valid); err != nil {
			return fmt.Errorf("--https: %w", err)
		}
		fmt.Fprintf(stdout, "wrote https.pem for %s\n", *https)
	}
	fmt.Fprintf(stdout, "wrote CA, %d node and %d client certificates to %s\n", len(split(*nodes)), len(clientCerts), *dir)
	return nil
}
