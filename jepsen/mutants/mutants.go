// Package mutants builds the planted bugs of the jepsen suite: each
// NN-name.patch in this folder is a small unified diff against the
// repository root that plants one realistic bug in node/, fsm/, checkout/
// or our Raft fork. The package lists the patches, copies the source tree
// to a scratch folder, applies one patch there and builds the mutant
// binary; production builds never contain a planted bug. cmd/mutants runs
// the jepsen harness against every mutant (see jepsen/README.md, "Planted
// bugs").
//
// The scratch copy is the working tree as `git ls-files --cached --others
// --exclude-standard` lists it: tracked files with their uncommitted
// edits, and new files not ignored. A `git worktree add` of HEAD would miss
// both, and would register a worktree in the repository that a killed run
// leaves behind.
package mutants

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
)

// Mutant is one planted bug: a patch file and its header.
type Mutant struct {
	Name string // file name without .patch, e.g. "02-dedup-off"
	Path string // the patch file
	// Bug is the header's "Bug:" line: what the patch breaks.
	Bug string
	// CaughtBy is the header's "Caught by:" paragraph: the checks that
	// should report the mutant, and what the run needs to exercise it.
	CaughtBy string
}

// Dir returns the folder of the patches in the repository at root.
func Dir(root string) string { return filepath.Join(root, "jepsen", "mutants") }

// List returns the mutants of dir (*.patch), sorted by name. A patch
// without a "# Bug:" header line is refused: every planted bug says what
// it models.
func List(dir string) ([]Mutant, error) {
	paths, err := filepath.Glob(filepath.Join(dir, "*.patch"))
	if err != nil {
		return nil, err
	}
	slices.Sort(paths)
	var out []Mutant
	for _, p := range paths {
		m, err := parseHeader(p)
		if err != nil {
			return nil, err
		}
		out = append(out, m)
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("no *.patch in %s", dir)
	}
	return out, nil
}

// parseHeader reads the comment lines ("# ...") before the diff.
func parseHeader(path string) (Mutant, error) {
	m := Mutant{Name: strings.TrimSuffix(filepath.Base(path), ".patch"), Path: path}
	f, err := os.Open(path)
	if err != nil {
		return m, err
	}
	defer f.Close()
	var section *string
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		line := sc.Text()
		if !strings.HasPrefix(line, "#") {
			break
		}
		text := strings.TrimSpace(strings.TrimPrefix(line, "#"))
		switch {
		case strings.HasPrefix(text, "Bug:"):
			m.Bug = strings.TrimSpace(strings.TrimPrefix(text, "Bug:"))
			section = nil
		case strings.HasPrefix(text, "Caught by:"):
			m.CaughtBy = strings.TrimSpace(strings.TrimPrefix(text, "Caught by:"))
			section = &m.CaughtBy
		case text == "":
			section = nil
		case section != nil:
			*section += " " + text
		}
	}
	if err := sc.Err(); err != nil {
		return m, err
	}
	if m.Bug == "" || m.CaughtBy == "" {
		return m, fmt.Errorf("%s: the header must have a \"# Bug:\" line and a \"# Caught by:\" paragraph", path)
	}
	return m, nil
}

// Copy copies the source tree of the repository at root into dst (which
// must exist): every file `git ls-files --cached --others
// --exclude-standard` lists, as it is in the working tree. Listed files
// deleted from the working tree are skipped.
func Copy(root, dst string) error {
	list := exec.Command("git", "ls-files", "-z", "--cached", "--others", "--exclude-standard")
	list.Dir = root
	var stderr bytes.Buffer
	list.Stderr = &stderr
	out, err := list.Output()
	if err != nil {
		return fmt.Errorf("git ls-files in %s: %w: %s", root, err, stderr.Bytes())
	}
	for _, name := range strings.Split(strings.TrimSuffix(string(out), "\x00"), "\x00") {
		if name == "" {
			continue
		}
		if err := copyFile(filepath.Join(root, name), filepath.Join(dst, name)); err != nil {
			if errors.Is(err, os.ErrNotExist) {
				continue
			}
			return err
		}
	}
	return nil
}

func copyFile(src, dst string) error {
	info, err := os.Lstat(src)
	if err != nil {
		return err
	}
	if err := os.MkdirAll(filepath.Dir(dst), 0o755); err != nil {
		return err
	}
	if info.Mode()&os.ModeSymlink != 0 {
		target, err := os.Readlink(src)
		if err != nil {
			return err
		}
		return os.Symlink(target, dst)
	}
	if !info.Mode().IsRegular() {
		return nil // a submodule or other non-file entry: not part of the build
	}
	in, err := os.Open(src)
	if err != nil {
		return err
	}
	defer in.Close()
	out, err := os.OpenFile(dst, os.O_WRONLY|os.O_CREATE|os.O_TRUNC, info.Mode().Perm())
	if err != nil {
		return err
	}
	if _, err := io.Copy(out, in); err != nil {
		out.Close()
		return err
	}
	return out.Close()
}

// Apply applies m's patch to the scratch tree dir. With check, it only
// checks that the patch applies (git apply --check) and changes nothing.
func Apply(dir string, m Mutant, check bool) error {
	args := []string{"apply"}
	if check {
		args = append(args, "--check")
	}
	return git(dir, append(args, m.Path)...)
}

// Revert takes m's patch out of dir again (git apply -R).
func Revert(dir string, m Mutant) error { return git(dir, "apply", "-R", m.Path) }

// git runs git in dir, a scratch tree that is not a repository: the
// ceiling keeps git from finding a repository in a parent folder, where
// git apply would take paths as relative to that repository's root.
func git(dir string, args ...string) error {
	cmd := exec.Command("git", args...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GIT_CEILING_DIRECTORIES="+filepath.Dir(dir))
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("git %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// BuildBinary builds the boxoffice binary of the scratch tree dir into
// out. -trimpath keeps file paths out of the build, so the packages a
// patch does not touch come from the build cache whatever the scratch
// folder is called: after the first mutant, a build recompiles only the
// patched packages and what imports them.
func BuildBinary(dir, out string) error {
	return goBuild(dir, "-trimpath", "-o", out, "./cmd/boxoffice")
}

// BuildPackages compiles the given packages of the scratch tree dir
// (patterns such as "./fsm" or import paths), linking nothing. Without
// -trimpath the dependencies outside the module come from the build cache
// of ordinary builds and tests.
func BuildPackages(dir string, packages ...string) error {
	return goBuild(dir, packages...)
}

// goBuild runs go build in dir. The scratch tree has no .git, so version
// stamping is off; GOWORK=off keeps a go.work of a parent folder out.
func goBuild(dir string, args ...string) error {
	cmd := exec.Command("go", append([]string{"build", "-buildvcs=false"}, args...)...)
	cmd.Dir = dir
	cmd.Env = append(os.Environ(), "GOWORK=off")
	if out, err := cmd.CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w: %s", strings.Join(args, " "), err, bytes.TrimSpace(out))
	}
	return nil
}

// Packages returns the packages whose Go files m's patch changes, as
// build patterns for the scratch tree of the repository at root: "./fsm"
// for a package of the main module, the import path for one of a nested
// module that the main module replaces (our Raft fork:
// "github.com/hashicorp/raft").
func Packages(root string, m Mutant) ([]string, error) {
	data, err := os.ReadFile(m.Path)
	if err != nil {
		return nil, err
	}
	var out []string
	for _, line := range strings.Split(string(data), "\n") {
		name, ok := strings.CutPrefix(line, "+++ b/")
		if !ok || !strings.HasSuffix(name, ".go") {
			continue
		}
		pkg, err := packageOf(root, filepath.Dir(name))
		if err != nil {
			return nil, err
		}
		if !slices.Contains(out, pkg) {
			out = append(out, pkg)
		}
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s changes no Go file", m.Path)
	}
	return out, nil
}

// packageOf names the package in folder dir (relative to root): "./dir"
// in the main module, or its import path in the nearest nested module.
func packageOf(root, dir string) (string, error) {
	for d := dir; d != "." && d != "/"; d = filepath.Dir(d) {
		data, err := os.ReadFile(filepath.Join(root, d, "go.mod"))
		if errors.Is(err, os.ErrNotExist) {
			continue
		}
		if err != nil {
			return "", err
		}
		for _, line := range strings.Split(string(data), "\n") {
			if path, ok := strings.CutPrefix(strings.TrimSpace(line), "module "); ok {
				rel, err := filepath.Rel(d, dir)
				if err != nil {
					return "", err
				}
				return strings.TrimSuffix(strings.TrimSpace(path)+"/"+filepath.ToSlash(rel), "/."), nil
			}
		}
		return "", fmt.Errorf("%s/go.mod names no module", d)
	}
	return "./" + filepath.ToSlash(dir), nil
}
