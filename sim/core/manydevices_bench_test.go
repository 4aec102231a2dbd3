package core

import (
	"bufio"
	"context"
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/sha256"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"math/big"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"runtime/pprof"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// BenchmarkConnect10kTLS connects N devices to one core over mutual TLS
// (N = 1,000 and 10,000), each with its own certificate, and measures the
// time until all are connected and the core's memory with all of them
// connected. The bar: 10,000 devices, resident memory under 2 GiB.
//
// The core runs in the benchmark's process with a deployment whose device
// definition lists the N things and their certificates, and a registry
// check at every CONNECT (VerifyCertificate), as in TestCoreMutualTLS. The
// devices run in a child process (this test binary again, running
// TestConnectFleetHelper), so the resident memory reported is the core's
// own; the fleet's is reported separately. Each device is a minimal
// hand-written MQTT 3.1.1 client over crypto/tls: CONNECT (client id =
// thing name, clean session, keep-alive 300 s), CONNACK, then idle.
//
//	go test -run '^$' -bench Connect10kTLS -benchtime 1x ./sim/core/
//
// Metrics: connect-s (first dial to the last CONNACK, measured in the
// fleet), conns/s, rss-MiB (VmRSS of the core's process with everything
// connected), core-rss-MiB and core-heap-MiB (what connecting added to the
// process's VmRSS and in-use heap), KiB/conn (the added RSS per device),
// heap-MiB (in-use heap with everything connected), fleet-rss-MiB (the
// client process).
func BenchmarkConnect10kTLS(b *testing.B) {
	for _, n := range []int{1000, 10000} {
		b.Run(fmt.Sprintf("n=%d", n), func(b *testing.B) { benchmarkConnectTLS(b, n) })
	}
}

const (
	fleetFileEnv = "TGSIM_FLEET_FILE"
	fleetAddrEnv = "TGSIM_FLEET_ADDR"
	// fleetHeapProfileEnv, when set to a path, makes the benchmark write
	// the heap profile of the core's process with every device connected
	// to PATH.N.
	fleetHeapProfileEnv = "TGSIM_FLEET_HEAPPROFILE"
	// fleetWorkers is how many handshakes the fleet runs at once.
	fleetWorkers = 64
)

// raiseNoFile raises the soft RLIMIT_NOFILE to the hard limit and
// returns it.
func raiseNoFile() (uint64, error) {
	var rl syscall.Rlimit
	if err := syscall.Getrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
		return 0, err
	}
	if rl.Cur < rl.Max {
		rl.Cur = rl.Max
		if err := syscall.Setrlimit(syscall.RLIMIT_NOFILE, &rl); err != nil {
			return 0, err
		}
	}
	return rl.Cur, nil
}

// fleetPKI is a CA, the core's server certificate and n device
// certificates (sharing one key: the core pins each device by its
// certificate, whose id is the hash of its DER).
type fleetPKI struct {
	caDER     []byte
	server    tls.Certificate
	deviceKey *ecdsa.PrivateKey
	devices   [][]byte // DER, device i is thing fleetThing(i)
}

func fleetThing(i int) string { return fmt.Sprintf("dev%05d", i) }

func newFleetPKI(n int) (*fleetPKI, error) {
	caKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	now := time.Now()
	caTmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "group CA"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), IsCA: true, BasicConstraintsValid: true,
		KeyUsage: x509.KeyUsageCertSign | x509.KeyUsageDigitalSignature}
	caDER, err := x509.CreateCertificate(rand.Reader, caTmpl, caTmpl, &caKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	ca, _ := x509.ParseCertificate(caDER)
	serverKey, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return nil, err
	}
	serverDER, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(2), Subject: pkix.Name{CommonName: "core"},
		NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour), KeyUsage: x509.KeyUsageDigitalSignature,
		ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth}, IPAddresses: []net.IP{net.ParseIP("127.0.0.1")}},
		ca, &serverKey.PublicKey, caKey)
	if err != nil {
		return nil, err
	}
	p := &fleetPKI{caDER: caDER, server: tls.Certificate{Certificate: [][]byte{serverDER}, PrivateKey: serverKey}}
	if p.deviceKey, err = ecdsa.GenerateKey(elliptic.P256(), rand.Reader); err != nil {
		return nil, err
	}
	// AWS IoT certificates are issued by the account's CA, not the group
	// CA; the core does not chain them (it pins them by id), so a
	// separate issuer would change nothing here.
	p.devices = make([][]byte, n)
	for i := range n {
		der, err := x509.CreateCertificate(rand.Reader, &x509.Certificate{SerialNumber: big.NewInt(int64(100 + i)),
			Subject: pkix.Name{CommonName: fleetThing(i)}, NotBefore: now.Add(-time.Hour), NotAfter: now.Add(24 * time.Hour),
			KeyUsage: x509.KeyUsageDigitalSignature, ExtKeyUsage: []x509.ExtKeyUsage{x509.ExtKeyUsageClientAuth}},
			ca, &p.deviceKey.PublicKey, caKey)
		if err != nil {
			return nil, err
		}
		p.devices[i] = der
	}
	return p, nil
}

// writeFleet writes what the fleet process needs: the device key, the CA
// and every device certificate, each as a length-prefixed DER block.
func (p *fleetPKI) writeFleet(path string) error {
	keyDER, err := x509.MarshalECPrivateKey(p.deviceKey)
	if err != nil {
		return err
	}
	f, err := os.Create(path)
	if err != nil {
		return err
	}
	w := bufio.NewWriter(f)
	for _, blk := range append([][]byte{keyDER, p.caDER}, p.devices...) {
		_ = binary.Write(w, binary.BigEndian, uint32(len(blk)))
		_, _ = w.Write(blk)
	}
	if err := w.Flush(); err != nil {
		f.Close()
		return err
	}
	return f.Close()
}

func readFleet(path string) (key *ecdsa.PrivateKey, ca []byte, devices [][]byte, err error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, nil, nil, err
	}
	var blocks [][]byte
	for len(b) >= 4 {
		n := binary.BigEndian.Uint32(b)
		if uint64(len(b)-4) < uint64(n) {
			return nil, nil, nil, errors.New("fleet file truncated")
		}
		blocks = append(blocks, b[4:4+n])
		b = b[4+n:]
	}
	if len(blocks) < 2 {
		return nil, nil, nil, errors.New("fleet file too short")
	}
	if key, err = x509.ParseECPrivateKey(blocks[0]); err != nil {
		return nil, nil, nil, err
	}
	return key, blocks[1], blocks[2:], nil
}

func vmRSS() uint64 {
	b, err := os.ReadFile("/proc/self/status")
	if err != nil {
		return 0
	}
	for line := range strings.SplitSeq(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, "VmRSS:"); ok {
			kb, _ := strconv.ParseUint(strings.TrimSuffix(strings.TrimSpace(rest), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

func heapInuse() uint64 {
	runtime.GC()
	var ms runtime.MemStats
	runtime.ReadMemStats(&ms)
	return ms.HeapInuse
}

const mib = 1 << 20

func benchmarkConnectTLS(b *testing.B, n int) {
	limit, err := raiseNoFile()
	if err != nil {
		b.Fatalf("RLIMIT_NOFILE: %v", err)
	}
	// The core's process holds one descriptor per device, and so does the
	// fleet's (its own process, which raises its limit the same way).
	if limit < uint64(n+100) {
		b.Skipf("RLIMIT_NOFILE hard limit is %d, below the %d needed for %d devices; raise it (ulimit -Hn)", limit, n+100, n)
	}
	pki, err := newFleetPKI(n)
	if err != nil {
		b.Fatal(err)
	}
	fleetFile := filepath.Join(b.TempDir(), "fleet.bin")
	if err := pki.writeFleet(fleetFile); err != nil {
		b.Fatal(err)
	}
	devs := make([]Device, n)
	registry := make(map[string]string, n) // certificate id → thing
	for i, der := range pki.devices {
		sum := sha256.Sum256(der)
		id := hex.EncodeToString(sum[:])
		name := fleetThing(i)
		devs[i] = Device{ThingName: name, ThingArn: routeThingArn(name), CertArn: "arn:aws:iot:us-east-1:000000000000:cert/" + id}
		registry[id] = name
	}
	table, err := NewTable(nil, devs)
	if err != nil {
		b.Fatal(err)
	}
	verify := func(der []byte) ([]string, string, error) {
		sum := sha256.Sum256(der)
		id := hex.EncodeToString(sum[:])
		thing, ok := registry[id]
		if !ok {
			return nil, id, errors.New("iot: certificate is not ACTIVE")
		}
		return []string{thing}, id, nil
	}

	var connectS, rss, rssAdded, heap, heapAdded, fleetRSS float64
	for range b.N {
		b.StopTimer()
		c, err := New(Options{MQTTAddr: "127.0.0.1:0", GroupName: "fleet",
			TLS: &tls.Config{Certificates: []tls.Certificate{pki.server}}, VerifyCertificate: verify})
		if err != nil {
			b.Fatal(err)
		}
		c.table.Store(table)
		if err := c.broker.Serve(); err != nil {
			b.Fatal(err)
		}
		rss0, heap0 := vmRSS(), heapInuse()

		cmd := exec.Command(os.Args[0], "-test.run=^TestConnectFleetHelper$", "-test.count=1", "-test.v")
		cmd.Env = append(os.Environ(), fleetFileEnv+"="+fleetFile, fleetAddrEnv+"="+c.MQTTAddr())
		cmd.Stderr = os.Stderr
		stdin, err := cmd.StdinPipe()
		if err != nil {
			b.Fatal(err)
		}
		stdout, err := cmd.StdoutPipe()
		if err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		if err := cmd.Start(); err != nil {
			b.Fatal(err)
		}
		// The fleet prints "FLEET connected=N seconds=S rss=BYTES" once
		// every device has its CONNACK (or "FLEET error=..." and exits).
		var line string
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if strings.HasPrefix(sc.Text(), "FLEET ") {
				line = sc.Text()
				break
			}
		}
		b.StopTimer()
		go func() { _, _ = io.Copy(io.Discard, stdout) }()
		var got int
		var secs float64
		var frss uint64
		if _, err := fmt.Sscanf(line, "FLEET connected=%d seconds=%g rss=%d", &got, &secs, &frss); err != nil || got != n {
			stdin.Close()
			_ = cmd.Wait()
			c.broker.Close()
			b.Fatalf("fleet: %q (%v), want %d connected; core refusals %v", line, err, n, c.Refusals())
		}
		if cc := atomic.LoadInt64(&c.broker.Info.ClientsConnected); cc != int64(n) {
			b.Errorf("core counts %d connected clients, want %d", cc, n)
		}
		rss1, heap1 := vmRSS(), heapInuse()
		if p := os.Getenv(fleetHeapProfileEnv); p != "" {
			// The core's heap with every device connected, for pprof.
			if f, err := os.Create(fmt.Sprintf("%s.%d", p, n)); err == nil {
				_ = pprof.WriteHeapProfile(f)
				f.Close()
			}
		}
		connectS, fleetRSS = secs, float64(frss)/mib
		rss, rssAdded = float64(rss1)/mib, (float64(rss1)-float64(rss0))/mib
		heap, heapAdded = float64(heap1)/mib, (float64(heap1)-float64(heap0))/mib

		// Clean up: the fleet closes every connection and exits; the core
		// sees them go, then stops.
		stdin.Close()
		if err := cmd.Wait(); err != nil {
			b.Errorf("fleet process: %v", err)
		}
		deadline := time.Now().Add(30 * time.Second)
		for atomic.LoadInt64(&c.broker.Info.ClientsConnected) > 0 && time.Now().Before(deadline) {
			time.Sleep(10 * time.Millisecond)
		}
		if cc := atomic.LoadInt64(&c.broker.Info.ClientsConnected); cc > 0 {
			b.Errorf("%d clients still connected 30 s after the fleet exited", cc)
		}
		c.broker.Close()
	}
	b.ReportMetric(connectS, "connect-s")
	b.ReportMetric(float64(n)/connectS, "conns/s")
	b.ReportMetric(rss, "rss-MiB")
	b.ReportMetric(rssAdded, "core-rss-MiB")
	b.ReportMetric(rssAdded*1024/float64(n), "KiB/conn")
	b.ReportMetric(heap, "heap-MiB")
	b.ReportMetric(heapAdded, "core-heap-MiB")
	b.ReportMetric(fleetRSS, "fleet-rss-MiB")
	if n >= 10000 && rss >= 2048 {
		b.Errorf("resident memory %.0f MiB with %d devices connected, over 2 GiB", rss, n)
	}
}

// TestConnectFleetHelper is the device fleet of BenchmarkConnect10kTLS,
// run in a child process; under plain `go test` it skips at once.
func TestConnectFleetHelper(t *testing.T) {
	path, addr := os.Getenv(fleetFileEnv), os.Getenv(fleetAddrEnv)
	if path == "" || addr == "" {
		t.Skip("the device fleet of BenchmarkConnect10kTLS; runs only as its child process")
	}
	if _, err := raiseNoFile(); err != nil {
		fmt.Printf("FLEET error=%q\n", err.Error())
		t.Fatal(err)
	}
	key, caDER, devices, err := readFleet(path)
	if err != nil {
		fmt.Printf("FLEET error=%q\n", err.Error())
		t.Fatal(err)
	}
	ca, err := x509.ParseCertificate(caDER)
	if err != nil {
		t.Fatal(err)
	}
	roots := x509.NewCertPool()
	roots.AddCert(ca)
	conns := make([]net.Conn, len(devices))
	errs := make([]error, len(devices))
	var next atomic.Int64
	var wg sync.WaitGroup
	start := time.Now()
	for range fleetWorkers {
		wg.Go(func() {
			for {
				i := int(next.Add(1)) - 1
				if i >= len(devices) {
					return
				}
				cfg := &tls.Config{RootCAs: roots, MinVersion: tls.VersionTLS12,
					Certificates: []tls.Certificate{{Certificate: [][]byte{devices[i]}, PrivateKey: key}}}
				conns[i], errs[i] = mqttConnect(addr, fleetThing(i), cfg)
			}
		})
	}
	wg.Wait()
	elapsed := time.Since(start)
	connected := 0
	var firstErr error
	for i, err := range errs {
		if err == nil {
			connected++
		} else if firstErr == nil {
			firstErr = fmt.Errorf("%s: %w", fleetThing(i), err)
		}
	}
	runtime.GC()
	fmt.Printf("FLEET connected=%d seconds=%g rss=%d\n", connected, elapsed.Seconds(), vmRSS())
	if firstErr != nil {
		fmt.Fprintf(os.Stderr, "fleet: %d of %d failed, first: %v\n", len(devices)-connected, len(devices), firstErr)
	}
	// Hold every connection until the benchmark closes stdin.
	_, _ = io.Copy(io.Discard, os.Stdin)
	for _, c := range conns {
		if c != nil {
			c.Close()
		}
	}
}

// mqttConnect opens a TLS connection, sends an MQTT 3.1.1 CONNECT and
// waits for a successful CONNACK.
func mqttConnect(addr, clientID string, cfg *tls.Config) (net.Conn, error) {
	ctx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	d := tls.Dialer{Config: cfg}
	conn, err := d.DialContext(ctx, "tcp", addr)
	if err != nil {
		return nil, err
	}
	deadline, _ := ctx.Deadline()
	_ = conn.SetDeadline(deadline)
	// Variable header: protocol name, level 4, flags (clean session),
	// keep-alive; payload: the client id.
	vh := []byte{0, 4, 'M', 'Q', 'T', 'T', 4, 0x02, 0x01, 0x2c} // keep-alive 300 s
	rem := len(vh) + 2 + len(clientID)
	pk := []byte{0x10}
	for {
		enc := byte(rem % 128)
		rem /= 128
		if rem > 0 {
			enc |= 0x80
		}
		pk = append(pk, enc)
		if rem == 0 {
			break
		}
	}
	pk = append(pk, vh...)
	pk = binary.BigEndian.AppendUint16(pk, uint16(len(clientID)))
	pk = append(pk, clientID...)
	if _, err := conn.Write(pk); err != nil {
		conn.Close()
		return nil, err
	}
	var ack [4]byte
	if _, err := io.ReadFull(conn, ack[:]); err != nil {
		conn.Close()
		return nil, fmt.Errorf("CONNACK: %w", err)
	}
	if ack[0] != 0x20 || ack[1] != 2 || ack[3] != 0 {
		conn.Close()
		return nil, fmt.Errorf("CONNACK % x: refused", ack)
	}
	_ = conn.SetDeadline(time.Time{})
	return conn, nil
}
