package jepsen

import (
	"bufio"
	"context"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"net"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"time"

	"go.etcd.io/bbolt"
	"golang.org/x/sys/unix"
)

// Disk fault kinds.
const (
	// FaultDiskFull fills the filesystem of one node's data dir (a
	// size-limited ext4 of its own) while it runs; the heal frees it.
	FaultDiskFull = "disk-full"
	// FaultCorruptLog kills a node, truncates or overwrites the tail of
	// its Raft log file, and restarts it: it must refuse the file and say
	// so; the harness then replaces it (RemoveNode, wipe, rejoin empty).
	FaultCorruptLog = "corrupt-log"
)

// Each node's filesystem for the disk-full fault: an ext4 image file of
// diskImageBytes, loop-mounted at "<run>/jpsn<pid>-disks/jpsn<pid>-n<i>-disk";
// the node's data dir is its "data" folder and the fault's ballast file
// sits beside it, so wiping the data dir leaves the ballast and the node
// never sees it.
//
// ext4 on a loop device rather than tmpfs: tmpfs keeps its files in
// memory (a ballast would take the shared machine's RAM) and its fsync
// does nothing, so a full tmpfs says nothing about how a node's fsyncs
// fail; ext4 reserves blocks at write(2) (delayed allocation) and fails
// the write with ENOSPC, as a real disk does, and fallocate fills it
// without writing a byte. The image is sparse: it takes on the host what
// the node writes.
//
// The folder holding the mounts is a bind mount of itself, marked
// shared. Every `ip netns exec` (ours, and those of other harness runs on
// the machine) copies the mount table into a new mount namespace as
// slaves; unmounting under a shared parent propagates to those copies, so
// the loop devices are released at once rather than when the last process
// started meanwhile exits.
const (
	diskImageBytes  = 256 << 20
	diskMountSuffix = "-disk"
	disksDirSuffix  = "-disks"
	diskBallastName = "ballast"
)

// nodeDisk is one node's size-limited filesystem.
type nodeDisk struct {
	image, mountPoint string
}

func (d *nodeDisk) ballast() string { return filepath.Join(d.mountPoint, diskBallastName) }

// mountDisks gives every node of c its own ext4 filesystem under dir and
// moves its data dir there. It needs root, mkfs.ext4 and a free loop
// device; it first unmounts the disks of dead harness runs.
func mountDisks(c *cluster, dir string) error {
	if os.Geteuid() != 0 {
		return errors.New("needs root to mount a size-limited filesystem")
	}
	sweepLeftoverDisks()
	prefix := fmt.Sprintf("%s%d-", namespacePrefix, os.Getpid())
	c.disksDir = filepath.Join(dir, fmt.Sprintf("%s%d%s", namespacePrefix, os.Getpid(), disksDirSuffix))
	if err := os.MkdirAll(c.disksDir, 0o755); err != nil {
		return err
	}
	if err := unix.Mount(c.disksDir, c.disksDir, "", unix.MS_BIND, ""); err != nil {
		c.disksDir = ""
		return fmt.Errorf("bind mount: %w", err)
	}
	if err := unix.Mount("", c.disksDir, "", unix.MS_SHARED, ""); err != nil {
		return fmt.Errorf("make shared: %w", err)
	}
	for _, n := range c.nodes {
		d := &nodeDisk{
			image:      filepath.Join(c.disksDir, n.id+".img"),
			mountPoint: filepath.Join(c.disksDir, prefix+n.id+diskMountSuffix),
		}
		if err := d.create(); err != nil {
			return fmt.Errorf("%s's disk: %w", n.id, err)
		}
		n.disk = d
		n.dataDir = filepath.Join(d.mountPoint, "data")
		if err := os.MkdirAll(n.dataDir, 0o755); err != nil {
			return err
		}
	}
	return nil
}

func (d *nodeDisk) create() error {
	if err := os.MkdirAll(d.mountPoint, 0o755); err != nil {
		return err
	}
	f, err := os.Create(d.image)
	if err != nil {
		return err
	}
	err = f.Truncate(diskImageBytes)
	if closeErr := f.Close(); err == nil {
		err = closeErr
	}
	if err != nil {
		return err
	}
	// -m 0: no blocks reserved for root (the nodes run as root, and a
	// reserve would only move where "full" is).
	if out, err := exec.Command("mkfs.ext4", "-q", "-F", "-m", "0", d.image).CombinedOutput(); err != nil {
		return fmt.Errorf("mkfs.ext4: %w: %s", err, strings.TrimSpace(string(out)))
	}
	// -o loop sets up a loop device that is released at unmount.
	if out, err := exec.Command("mount", "-o", "loop", d.image, d.mountPoint).CombinedOutput(); err != nil {
		return fmt.Errorf("mount: %w: %s", err, strings.TrimSpace(string(out)))
	}
	return nil
}

// unmountDisks unmounts every node's disk and the folder holding them
// (the nodes must have stopped).
func (c *cluster) unmountDisks() {
	for _, n := range c.nodes {
		if n.disk == nil {
			continue
		}
		if err := unmount(n.disk.mountPoint); err != nil {
			c.logf("unmount %s: %v", n.disk.mountPoint, err)
		}
		n.disk = nil
	}
	if c.disksDir != "" {
		if err := unmount(c.disksDir); err != nil {
			c.logf("unmount %s: %v", c.disksDir, err)
		}
		c.disksDir = ""
	}
}

// unmount detaches the filesystem at path, lazily if it is still busy
// (the kernel finishes when the last user leaves) so that cleanup never
// hangs.
func unmount(path string) error {
	err := unix.Unmount(path, 0)
	if errors.Is(err, unix.EBUSY) {
		err = unix.Unmount(path, unix.MNT_DETACH)
	}
	if errors.Is(err, unix.EINVAL) { // not mounted
		return nil
	}
	return err
}

// sweepLeftoverDisks unmounts the disks of earlier harness runs whose
// process is gone, found in /proc/self/mountinfo by their mount point's
// name ("jpsn<pid>-n<i>-disk", "jpsn<pid>-disks"), disks before the folder
// holding them.
func sweepLeftoverDisks() {
	f, err := os.Open("/proc/self/mountinfo")
	if err != nil {
		return
	}
	defer f.Close()
	var stale []string
	scanner := bufio.NewScanner(f)
	for scanner.Scan() {
		fields := strings.Fields(scanner.Text())
		if len(fields) < 5 {
			continue
		}
		mountPoint := fields[4]
		name := filepath.Base(mountPoint)
		if !strings.HasPrefix(name, namespacePrefix) ||
			!strings.HasSuffix(name, diskMountSuffix) && !strings.HasSuffix(name, disksDirSuffix) {
			continue
		}
		pidText, _, _ := strings.Cut(strings.TrimPrefix(name, namespacePrefix), "-")
		pid, err := strconv.Atoi(pidText)
		if err != nil {
			continue
		}
		if _, err := os.Stat("/proc/" + strconv.Itoa(pid)); err == nil {
			continue // its harness is alive
		}
		stale = append(stale, mountPoint)
	}
	slices.SortFunc(stale, func(a, b string) int { return len(b) - len(a) }) // children first
	for _, mountPoint := range stale {
		_ = unmount(mountPoint)
	}
}

// fillDisk fills the filesystem holding path with a ballast file and
// returns how many bytes it reserved. fallocate takes the blocks without
// writing them; halving the request on ENOSPC takes the last ones (an
// extent needs metadata blocks of its own).
func fillDisk(path string) (int64, error) {
	f, err := os.OpenFile(path, os.O_CREATE|os.O_WRONLY, 0o600)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	var fs unix.Statfs_t
	if err := unix.Fstatfs(int(f.Fd()), &fs); err != nil {
		return 0, err
	}
	offset, chunk := int64(0), int64(fs.Bavail)*fs.Bsize
	for chunk >= fs.Bsize {
		err := unix.Fallocate(int(f.Fd()), 0, offset, chunk)
		switch {
		case err == nil:
			offset += chunk
		case errors.Is(err, unix.ENOSPC):
			chunk /= 2
		default:
			return offset, fmt.Errorf("fallocate: %w", err)
		}
	}
	return offset, f.Sync()
}

// injectDiskFull fills target's filesystem; the heal notes what the
// node's /readyz said, removes the ballast, and checks the node is still
// running: a node that exits (or panics) on a full disk instead of
// failing its writes and catching up later is a violation.
func (n *nemesis) injectDiskFull(target *node) (heal func() error, desc string, err error) {
	if target.disk == nil {
		return nil, "fill " + target.id + "'s disk", errors.New("no size-limited disk: the run was started without the disk-full fault, or not as root")
	}
	ballast := target.disk.ballast()
	logOffset := fileSize(target.logPath)
	reserved, err := fillDisk(ballast)
	desc = fmt.Sprintf("fill %s's disk (%d MiB ballast)", target.id, reserved>>20)
	heal = func() error {
		if code, body := n.cluster.readyz(context.Background(), target); code != 0 {
			n.logf("nemesis: %s's disk full: /readyz %d %s", target.id, code, strings.TrimSpace(body))
		}
		if err := os.Remove(ballast); err != nil && !errors.Is(err, os.ErrNotExist) {
			return err
		}
		if !target.hasExited() {
			return nil
		}
		output := readFrom(target.logPath, logOffset, 1<<20)
		n.addProblem(fmt.Sprintf("disk-full: %s exited while its disk was full instead of failing its writes: %s",
			target.id, firstLine(output, "panic:", "fatal error:", "boxoffice:")))
		return n.cluster.restartExited(target)
	}
	return heal, desc, err
}

// readyz returns node n's /readyz status code and body (0 if it did not
// answer).
func (c *cluster) readyz(ctx context.Context, n *node) (int, string) {
	req, _ := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+net.JoinHostPort(n.ip, portHTTP)+"/readyz", nil)
	resp, err := c.http.Do(req)
	if err != nil {
		return 0, ""
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(io.LimitReader(resp.Body, 4096))
	return resp.StatusCode, string(body)
}

func (n *nemesis) addProblem(problem string) {
	n.mu.Lock()
	defer n.mu.Unlock()
	n.problems = append(n.problems, problem)
}

// hasExited reports whether n was started and its process has exited by
// itself (the harness did not stop it).
func (n *node) hasExited() bool {
	n.mu.Lock()
	cmd, exited := n.cmd, n.exited
	n.mu.Unlock()
	if cmd == nil {
		return false
	}
	select {
	case <-exited:
		return true
	default:
		return false
	}
}

// restartExited clears the state of a process that exited by itself and
// starts the node again.
func (c *cluster) restartExited(n *node) error {
	_ = c.signal(n, syscall.SIGKILL) // reaps: the process is already gone
	return c.start(n)
}

// corruptLogRefusalTimeout bounds the wait for a node restarted on a
// damaged log to refuse it and exit.
const corruptLogRefusalTimeout = 30 * time.Second

// corruptLogRefusal is what a node restarted on a damaged log must print
// (node/datadir.go, logDamaged; README.md: "A node whose log is damaged").
const corruptLogRefusal = "is damaged"

// injectCorruptLog kills target, damages the tail of its Raft log file,
// starts it again and checks that it refuses the file: it must exit
// within corruptLogRefusalTimeout, its output naming the file and saying
// it is damaged, without a panic. A node that serves instead is a
// violation (problem). Then the replace procedure runs: RemoveNode via
// another node, wipe, restart empty at the heal.
func (n *nemesis) injectCorruptLog(ctx context.Context, target, via *node, rng *rand.Rand) (heal func() error, desc, problem string, err error) {
	c := n.cluster
	if target.running() {
		if err := c.signal(target, syscall.SIGKILL); err != nil {
			return nil, "corrupt " + target.id + "'s log", "", err
		}
	}
	path := filepath.Join(target.dataDir, "raft.db")
	damage, err := damageLogTail(path, rng)
	desc = fmt.Sprintf("kill -9 %s, %s, restart", target.id, damage)
	if err != nil {
		return c.startFunc(target), desc, "", err
	}
	logOffset := fileSize(target.logPath)
	if err := c.start(target); err != nil {
		return nil, desc, "", err
	}
	exited := false
	select {
	case <-target.exitedChan():
		exited = true
	case <-time.After(corruptLogRefusalTimeout):
	case <-ctx.Done():
	}
	output := readFrom(target.logPath, logOffset, 64<<10)
	_ = c.signal(target, syscall.SIGKILL)
	problem, refusal := judgeRefusal(target.id, damage, path, exited, output)
	if refusal != "" {
		desc += ", refused: " + refusal
	}
	replace, note, err := n.replaceNode(ctx, target, via)
	return replace, desc + "; remove " + target.id + " (via " + via.id + "), wipe, rejoin empty" + note, problem, err
}

// judgeRefusal decides whether a node restarted on a damaged log file
// (damage says how) refused it as it must: it exited (exited), printing
// no panic and a line that names the file and says it "is damaged"
// (output: what it printed). problem is empty if it did, and refusal is
// then that line.
func judgeRefusal(nodeID, damage, path string, exited bool, output string) (problem, refusal string) {
	switch {
	case !exited:
		return fmt.Sprintf("corrupt-log: %s restarted on a damaged log (%s) and still ran after %s instead of refusing it",
			nodeID, damage, corruptLogRefusalTimeout), ""
	case strings.Contains(output, "panic:") || strings.Contains(output, "fatal error:") || strings.Contains(output, "goroutine "):
		return fmt.Sprintf("corrupt-log: %s crashed on a damaged log (%s) instead of refusing it: %s",
			nodeID, damage, firstLine(output, "panic:", "fatal error:")), ""
	}
	for _, line := range strings.Split(output, "\n") {
		if strings.Contains(line, path) && strings.Contains(line, corruptLogRefusal) {
			return "", line
		}
	}
	return fmt.Sprintf("corrupt-log: %s exited on a damaged log (%s) without a line saying that %s %s: %q",
		nodeID, damage, path, corruptLogRefusal, lastLine(output)), ""
}

func (c *cluster) startFunc(n *node) func() error {
	return func() error {
		if n.running() {
			return nil
		}
		return c.start(n)
	}
}

func (n *node) exitedChan() <-chan struct{} {
	n.mu.Lock()
	defer n.mu.Unlock()
	if n.exited == nil {
		ch := make(chan struct{})
		close(ch)
		return ch
	}
	return n.exited
}

// damageLogTail truncates path in the middle of the first page of its
// last page run in use (a leaf or branch with its overflow pages), or
// overwrites its last 1-4 runs in use with random bytes (rng decides), and
// describes what it did. "In use" is read from the intact file, so the
// damage always hits data the node had written, never free space.
func damageLogTail(path string, rng *rand.Rand) (string, error) {
	pageSize, runs, err := pagesInUse(path)
	if err != nil {
		return "damage raft.db", err
	}
	last := runs[len(runs)-1]
	if rng.IntN(2) == 0 {
		size := last.first*pageSize + pageSize/2
		return fmt.Sprintf("truncate raft.db to %d bytes (mid-page %d)", size, last.first), os.Truncate(path, size)
	}
	first := runs[max(0, len(runs)-1-rng.IntN(4))]
	garbage := make([]byte, (last.last-first.first+1)*pageSize)
	for i := range garbage {
		garbage[i] = byte(rng.Uint32())
	}
	desc := fmt.Sprintf("overwrite raft.db pages %d-%d with random bytes", first.first, last.last)
	f, err := os.OpenFile(path, os.O_WRONLY, 0)
	if err != nil {
		return desc, err
	}
	defer f.Close()
	if _, err := f.WriteAt(garbage, first.first*pageSize); err != nil {
		return desc, err
	}
	return desc, f.Sync()
}

// pageRun is one bbolt page in use and its overflow pages.
type pageRun struct{ first, last int64 }

// pagesInUse opens the (intact) log file read-only and lists its branch
// and leaf pages below the high-water mark, in id order.
func pagesInUse(path string) (pageSize int64, runs []pageRun, err error) {
	db, err := bbolt.Open(path, 0o600, &bbolt.Options{ReadOnly: true, PreLoadFreelist: true, Timeout: time.Second})
	if err != nil {
		return 0, nil, err
	}
	defer db.Close()
	err = db.View(func(tx *bbolt.Tx) error {
		pageSize = int64(db.Info().PageSize)
		for id := 2; int64(id) < tx.Size()/pageSize; {
			info, err := tx.Page(id)
			if err != nil || info == nil {
				return err
			}
			if info.Type != "leaf" && info.Type != "branch" {
				id++ // free: its header is stale, and its neighbours may be in use
				continue
			}
			runs = append(runs, pageRun{first: int64(id), last: int64(id + info.OverflowCount)})
			id += 1 + info.OverflowCount
		}
		if len(runs) == 0 {
			return errors.New("no page in use")
		}
		return nil
	})
	return pageSize, runs, err
}

func fileSize(path string) int64 {
	info, err := os.Stat(path)
	if err != nil {
		return 0
	}
	return info.Size()
}

// readFrom returns at most limit bytes of path from offset on.
func readFrom(path string, offset, limit int64) string {
	f, err := os.Open(path)
	if err != nil {
		return ""
	}
	defer f.Close()
	b, _ := io.ReadAll(io.LimitReader(io.NewSectionReader(f, offset, limit), limit))
	return string(b)
}

func lastLine(s string) string {
	lines := strings.Split(strings.TrimSpace(s), "\n")
	return lines[len(lines)-1]
}

func firstLine(s string, prefixes ...string) string {
	for _, line := range strings.Split(s, "\n") {
		for _, p := range prefixes {
			if strings.HasPrefix(line, p) {
				return line
			}
		}
	}
	return lastLine(s)
}
