package main

import (
	"flag"
	"fmt"
	"io"
	"log/slog"
)

// logFlags are --log-level and --log-format, shared by start, demo and
// gateway. Text is for a person at a terminal; JSON (one object a line
// with time, level, msg and the fields) is for a log aggregator.
type logFlags struct {
	level, format string
}

// register adds the two flags; their defaults come from
// BOXOFFICE_LOG_LEVEL and BOXOFFICE_LOG_FORMAT when set, else from
// levelDefault and text.
func (f *logFlags) register(fs *flag.FlagSet, levelDefault string) {
	fs.StringVar(&f.level, "log-level", envOr("BOXOFFICE_LOG_LEVEL", levelDefault), "debug, info, warn or error (BOXOFFICE_LOG_LEVEL)")
	fs.StringVar(&f.format, "log-format", envOr("BOXOFFICE_LOG_FORMAT", "text"), "text or json, one object a line for log aggregation (BOXOFFICE_LOG_FORMAT)")
}

// logger builds the slog logger the flags describe, writing to w.
func (f *logFlags) logger(w io.Writer) (*slog.Logger, error) {
	return newLogger(w, f.level, f.format)
}

// newLogger is a slog logger at level ("debug", "info", "warn", "error")
// in format ("text" or "json") writing to w.
func newLogger(w io.Writer, level, format string) (*slog.Logger, error) {
	var l slog.Level
	if err := l.UnmarshalText([]byte(level)); err != nil {
		return nil, fmt.Errorf("--log-level %q: want debug, info, warn or error", level)
	}
	opts := &slog.HandlerOptions{Level: l}
	switch format {
	case "text":
		return slog.New(slog.NewTextHandler(w, opts)), nil
	case "json":
		return slog.New(slog.NewJSONHandler(w, opts)), nil
	default:
		return nil, fmt.Errorf("--log-format %q: want text or json", format)
	}
}
