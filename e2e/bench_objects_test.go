package e2e

import (
	"bytes"
	"context"
	"fmt"
	"math/rand"
	"os"
	"os/exec"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
)

// TestBenchObjects is `make bench-objects`: REFRESH METADATA of 10,000
// objects, then GET_DATA_FROM_OSS over 2,000 objects of 100 KB, both
// against MinIO on loopback. It prints objects/s, the modelsql process's
// CPU per object and its peak RSS (MinIO's own CPU is not counted).
func TestBenchObjects(t *testing.T) {
	if os.Getenv("MODELSQL_BENCH_OBJECTS") == "" {
		t.Skip("benchmark; run with make bench-objects")
	}
	const many, reads, readSize = 10000, 2000, 100 << 10
	s := startMinio(t)
	data := t.TempDir()
	s.storageConfig(t, data)
	ctx := context.Background()
	if err := s.client.MakeBucket(ctx, "bench", minio.MakeBucketOptions{Region: "us-east-1"}); err != nil {
		t.Fatal(err)
	}
	put := func(prefix string, n, size int) {
		var wg sync.WaitGroup
		work := make(chan int)
		for w := 0; w < 16; w++ {
			wg.Add(1)
			go func() {
				defer wg.Done()
				rng := rand.New(rand.NewSource(int64(w)))
				buf := make([]byte, size)
				for i := range work {
					rng.Read(buf)
					key := fmt.Sprintf("%s/d%03d/obj%06d.bin", prefix, i%100, i)
					if _, err := s.client.PutObject(ctx, "bench", key, bytes.NewReader(buf), int64(size), minio.PutObjectOptions{}); err != nil {
						t.Error(err)
					}
				}
			}()
		}
		for i := 0; i < n; i++ {
			work <- i
		}
		close(work)
		wg.Wait()
	}
	start := time.Now()
	put("many", many, 16)
	put("imgs", reads, readSize)
	fmt.Printf("uploaded %d + %d objects in %.1fs\n", many, reads, time.Since(start).Seconds())
	role := "WITH SERDEPROPERTIES ('odps.properties.rolearn'='" + roleKeys + "')"
	sql(t, data, "CREATE OBJECT TABLE many "+role+" LOCATION 's3://bench/many/'",
		"CREATE OBJECT TABLE imgs "+role+" LOCATION 's3://bench/imgs/'", "ALTER TABLE imgs REFRESH METADATA")

	// measure runs statements in one modelsql process and returns its wall
	// time, CPU time and peak RSS, less a process that runs SELECT 1.
	measure := func(stmts ...string) (wall, cpu time.Duration, rssMB float64, out string) {
		once := func(stmts ...string) (time.Duration, time.Duration, int64, string) {
			args := []string{"--data", data, "--format", "csv"}
			for _, q := range stmts {
				args = append(args, "-c", q)
			}
			cmd := exec.Command(bin, args...)
			var o, e bytes.Buffer
			cmd.Stdout, cmd.Stderr = &o, &e
			t0 := time.Now()
			if err := cmd.Run(); err != nil {
				t.Fatalf("%v: %s", err, e.String())
			}
			w := time.Since(t0)
			ru := cmd.ProcessState.SysUsage().(*syscall.Rusage)
			return w, cmd.ProcessState.UserTime() + cmd.ProcessState.SystemTime(), ru.Maxrss, o.String()
		}
		w0, c0, _, _ := once("SELECT 1")
		w1, c1, rss, out := once(stmts...)
		return w1 - w0, c1 - c0, float64(rss) / 1024, out
	}

	wall, cpu, rss, _ := measure("ALTER TABLE many REFRESH METADATA")
	rows := csvRows(t, data, "SELECT count(*) FROM many")
	if rows[0][0] != fmt.Sprint(many) {
		t.Fatalf("refresh listed %s objects, want %d", rows[0][0], many)
	}
	fmt.Printf("refresh   objects=%d wall=%.2fs objects/s=%.0f cpu/object=%.1fµs peak_rss=%.0fMB\n",
		many, wall.Seconds(), float64(many)/wall.Seconds(), float64(cpu.Microseconds())/many, rss)

	wall, cpu, rss, out := measure("SELECT count(*), sum(octet_length(GET_DATA_FROM_OSS('default.default.imgs', key))) FROM imgs")
	if !strings.Contains(out, fmt.Sprintf("%d,%d", reads, reads*readSize)) {
		t.Fatalf("read: %s", out)
	}
	fmt.Printf("get_data  objects=%d bytes=%d wall=%.2fs objects/s=%.0f MB/s=%.0f cpu/object=%.0fµs peak_rss=%.0fMB\n",
		reads, reads*readSize, wall.Seconds(), float64(reads)/wall.Seconds(), float64(reads*readSize)/wall.Seconds()/1e6,
		float64(cpu.Microseconds())/reads, rss)
}
