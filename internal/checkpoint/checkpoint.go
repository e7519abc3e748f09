// Package checkpoint reads what a model checkpoint on disk actually stores:
// the headers of its *.safetensors files (never the weights) and its
// model.safetensors.index.json. It sums the exact stored bytes per dtype
// and per kvplot tensor class, lists the tensors inference does not load
// and the ones kvplot cannot place, and compares the sums with the bytes
// kvplot derives from the model's config.
package checkpoint

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"syscall"
)

// IndexFile is the name of a sharded checkpoint's index.
const IndexFile = "model.safetensors.index.json"

// MaxIndexBytes caps the index file: 64 MiB. DeepSeek-V3's, one of the
// largest, is about 9 MB (91k tensors over 163 shards).
const MaxIndexBytes = 64 << 20

// Checkpoint is the tensors of a checkpoint directory as its headers
// describe them.
type Checkpoint struct {
	// Dir is the directory as given.
	Dir   string
	Files []File
	// Tensors is every tensor of every file, sorted by name.
	Tensors []Tensor
	// Index is the model.safetensors.index.json, nil when there is none.
	Index *Index
	// Ignored lists *.safetensors files in Dir the index does not name
	// (Mistral's consolidated.safetensors beside the Hugging Face shards).
	Ignored []string
}

// File is one safetensors file of a checkpoint.
type File struct {
	Name        string // in the checkpoint directory
	Size        int64
	HeaderBytes int64
	Tensors     int
	Metadata    map[string]string
}

// Index is what model.safetensors.index.json says.
type Index struct {
	// TotalSize is metadata.total_size, -1 when absent.
	TotalSize int64
	// Shards is each shard file the weight_map names, sorted.
	Shards []string
	// Tensors is how many tensors the weight_map names.
	Tensors int
}

// Bytes is the stored size of every tensor.
func (c *Checkpoint) Bytes() int64 {
	var b int64
	for _, t := range c.Tensors {
		b += t.Bytes
	}
	return b
}

// dir is a checkpoint directory and where the files it holds may lead.
type dir struct {
	shown string   // as given, for messages
	roots []string // absolute, symlinks resolved: the directory, and the blob store of a Hugging Face cache snapshot
}

// Read reads the checkpoint in directory d: with model.safetensors.index.json,
// the shards its weight_map names (and it checks that the shards hold
// exactly the tensors the index puts in them); without, every *.safetensors
// file in d. Only headers are read. Files must be regular files inside d; a
// symlink may lead out of d only from a Hugging Face cache snapshot
// (…/models--org--name/snapshots/REV) into that model's own blobs/ folder.
func Read(d string) (*Checkpoint, error) {
	dr, err := openDir(d)
	if err != nil {
		return nil, Problems{{File: d, Message: err.Error()}}
	}
	ck := &Checkpoint{Dir: d}
	entries, err := os.ReadDir(d)
	if err != nil {
		return nil, Problems{{File: d, Message: "cannot list: " + ioMessage(err)}}
	}
	var found []string
	hasIndex := false
	for _, e := range entries {
		switch n := e.Name(); {
		case n == IndexFile:
			hasIndex = true
		case strings.HasSuffix(n, ".safetensors") && !strings.HasPrefix(n, "."):
			found = append(found, n)
		}
	}
	sort.Strings(found)
	var weightMap map[string]string
	shards := found
	if hasIndex {
		p := filepath.Join(d, IndexFile)
		data, err := dr.readSmall(p, MaxIndexBytes)
		if err != nil {
			return nil, Problems{{File: p, Message: err.Error()}}
		}
		idx, wm, ps := parseIndex(p, data)
		if len(ps) > 0 {
			return nil, ps
		}
		ck.Index, weightMap, shards = idx, wm, idx.Shards
		named := map[string]bool{}
		for _, s := range shards {
			named[s] = true
		}
		for _, f := range found {
			if !named[f] {
				ck.Ignored = append(ck.Ignored, f)
			}
		}
	}
	if len(shards) == 0 {
		return nil, Problems{{File: d, Message: "no *.safetensors files: kvplot reads safetensors headers only (not .bin, .pt or .gguf files)"}}
	}
	var ps Problems
	where := map[string]string{} // tensor → file
	for _, s := range shards {
		p := filepath.Join(d, s)
		h, size, err := dr.readHeader(p)
		if err != nil {
			var hp Problems
			if errors.As(err, &hp) {
				ps = append(ps, hp...)
			} else {
				ps = append(ps, Problem{File: p, Message: err.Error()})
			}
			continue
		}
		ck.Files = append(ck.Files, File{Name: s, Size: size, HeaderBytes: h.HeaderBytes, Tensors: len(h.Tensors), Metadata: h.Metadata})
		for _, t := range h.Tensors {
			if prev, dup := where[t.Name]; dup {
				ps = append(ps, Problem{File: p, Field: shortName(t.Name), Message: "also stored in " + prev})
				continue
			}
			if weightMap != nil && weightMap[t.Name] != s {
				if want, ok := weightMap[t.Name]; ok {
					ps = append(ps, Problem{File: p, Field: shortName(t.Name), Message: fmt.Sprintf("stored here, but %s puts it in %s", IndexFile, want)})
				} else {
					ps = append(ps, Problem{File: p, Field: shortName(t.Name), Message: fmt.Sprintf("stored here, but %s does not name it", IndexFile)})
				}
				continue
			}
			where[t.Name] = s
			t.File = s
			ck.Tensors = append(ck.Tensors, t)
		}
	}
	if len(ps) == 0 && weightMap != nil {
		var missing []string
		for name := range weightMap {
			if _, ok := where[name]; !ok {
				missing = append(missing, name)
			}
		}
		sort.Strings(missing)
		for _, name := range missing {
			ps = append(ps, Problem{File: filepath.Join(d, IndexFile), Field: "weight_map." + shortName(name),
				Message: fmt.Sprintf("names shard %s, whose header does not hold it", weightMap[name])})
		}
	}
	if len(ps) > 0 {
		return nil, ps
	}
	sort.Slice(ck.Tensors, func(i, j int) bool { return ck.Tensors[i].Name < ck.Tensors[j].Name })
	return ck, nil
}

// parseIndex reads model.safetensors.index.json: weight_map (tensor →
// shard file name in the same directory) and metadata.total_size.
func parseIndex(p string, data []byte) (*Index, map[string]string, Problems) {
	var ps Problems
	add := func(field, format string, args ...any) {
		ps = append(ps, Problem{File: p, Field: field, Message: fmt.Sprintf(format, args...)})
	}
	entries, err := decodeObject(data)
	if err != nil {
		add("", "%v", err)
		return nil, nil, ps
	}
	idx := &Index{TotalSize: -1}
	wm := map[string]string{}
	shards := map[string]bool{}
	hasMap := false
	for _, e := range entries {
		switch e.key {
		case "metadata":
			o, ok := e.val.(map[string]any)
			if !ok {
				if e.val != nil {
					add("metadata", "must be an object, got %s", jsonKind(e.val))
				}
				continue
			}
			if ts, ok := o["total_size"]; ok && ts != nil {
				n, good := readInts([]any{ts}, 1, func(field, msg string) { add("metadata.total_size", "%s", strings.TrimPrefix(msg, "[0] ")) }, "")
				if good {
					idx.TotalSize = n[0]
				}
			}
		case "weight_map":
			hasMap = true
			o, ok := e.val.(map[string]any)
			if !ok {
				add("weight_map", "must be an object of tensor name to shard file, got %s", jsonKind(e.val))
				continue
			}
			for name, v := range o {
				s, ok := v.(string)
				switch {
				case !ok:
					add("weight_map."+shortName(name), "must be a shard file name, got %s", jsonKind(v))
				case s == "" || s == "." || s == ".." || strings.ContainsAny(s, `/\`) || !strings.HasSuffix(s, ".safetensors"):
					add("weight_map."+shortName(name), "%q is not a *.safetensors file name in the checkpoint directory", shortName(s))
				default:
					wm[name] = s
					shards[s] = true
				}
			}
		}
	}
	if !hasMap {
		add("weight_map", "missing: an index maps each tensor to its shard")
	}
	if len(ps) > 0 {
		return nil, nil, ps
	}
	for s := range shards {
		idx.Shards = append(idx.Shards, s)
	}
	sort.Strings(idx.Shards)
	idx.Tensors = len(wm)
	return idx, wm, nil
}

// openDir resolves a checkpoint directory and the places its files may
// lead to.
func openDir(d string) (dir, error) {
	dr := dir{shown: d}
	abs, err := filepath.Abs(d)
	if err != nil {
		return dr, err
	}
	root, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return dr, errors.New("cannot read: " + ioMessage(err))
	}
	st, err := os.Stat(root)
	if err != nil {
		return dr, errors.New("cannot read: " + ioMessage(err))
	}
	if !st.IsDir() {
		return dr, errors.New("not a directory: --checkpoint takes the directory holding the *.safetensors files")
	}
	dr.roots = []string{root}
	// A Hugging Face cache snapshot holds symlinks into the model's blob
	// store: models--org--name/snapshots/REV/x → ../../blobs/HASH.
	snaps := filepath.Dir(root)
	if model := filepath.Dir(snaps); filepath.Base(snaps) == "snapshots" && strings.HasPrefix(filepath.Base(model), "models--") {
		dr.roots = append(dr.roots, filepath.Join(model, "blobs"))
	}
	return dr, nil
}

// inside checks that p, symlinks resolved, is in one of the directory's
// roots, and returns the resolved path.
func (dr dir) inside(p string) (string, error) {
	abs, err := filepath.Abs(p)
	if err != nil {
		return "", err
	}
	r, err := filepath.EvalSymlinks(abs)
	if err != nil {
		return "", errors.New("cannot read: " + ioMessage(err))
	}
	for _, root := range dr.roots {
		rel, err := filepath.Rel(root, r)
		if err == nil && rel != ".." && !strings.HasPrefix(rel, ".."+string(filepath.Separator)) && !filepath.IsAbs(rel) {
			return r, nil
		}
	}
	return "", errors.New("a symlink leading outside the checkpoint directory: kvplot reads only files inside it")
}

// open opens a regular file inside the directory without blocking on a
// FIFO or a device.
func (dr dir) open(p string) (*os.File, int64, error) {
	r, err := dr.inside(p)
	if err != nil {
		return nil, 0, err
	}
	f, err := os.OpenFile(r, os.O_RDONLY|syscall.O_NONBLOCK, 0)
	if err != nil {
		return nil, 0, errors.New("cannot read: " + ioMessage(err))
	}
	st, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, 0, errors.New("cannot read: " + ioMessage(err))
	}
	if !st.Mode().IsRegular() {
		f.Close()
		return nil, 0, errors.New("not a regular file: kvplot reads only regular files")
	}
	return f, st.Size(), nil
}

// readSmall reads a whole file of at most limit bytes.
func (dr dir) readSmall(p string, limit int64) ([]byte, error) {
	f, size, err := dr.open(p)
	if err != nil {
		return nil, err
	}
	defer f.Close()
	if size > limit {
		return nil, fmt.Errorf("%d bytes: larger than kvplot's limit of %d for this file", size, limit)
	}
	data, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, errors.New("cannot read: " + ioMessage(err))
	}
	if int64(len(data)) > limit {
		return nil, fmt.Errorf("larger than kvplot's limit of %d bytes for this file", limit)
	}
	return data, nil
}

// readHeader reads a safetensors file's header.
func (dr dir) readHeader(p string) (Header, int64, error) {
	f, size, err := dr.open(p)
	if err != nil {
		return Header{}, 0, err
	}
	defer f.Close()
	h, err := ReadHeader(p, f, size)
	return h, size, err
}

// ioMessage is an I/O error without the path (the caller shows it).
func ioMessage(err error) string {
	var pe *os.PathError
	if errors.As(err, &pe) {
		err = pe.Err
	}
	if errors.Is(err, os.ErrNotExist) {
		return "no such file or directory"
	}
	if errors.Is(err, os.ErrPermission) {
		return "permission denied"
	}
	return err.Error()
}
