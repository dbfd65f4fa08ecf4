package resp

import (
	"bytes"
	"encoding/binary"
	"hash/crc64"

	lua "github.com/yuin/gopher-lua"
)

// FUNCTION DUMP / RESTORE and FUNCTION HELP (the rest of FUNCTION is in
// cmd_function.go).

// Dump payload: per library 0xF5 and the code as an RDB string, then the
// RDB version (2 bytes, little endian) and a CRC64 (Jones, as Redis) of
// everything before it (8 bytes, little endian).
const (
	funcDumpOpcode = 0xF5
	funcDumpRDBVer = 10
)

var crcJones = crc64.MakeTable(0x95ac9329ac4bc9b5)

func redisCRC64(p []byte) uint64 { return ^crc64.Update(^uint64(0), crcJones, p) }

// cmdFunctionDump implements FUNCTION DUMP.
func cmdFunctionDump(c *Ctx, args [][]byte) error {
	fr := &c.S.ext().scripts.funcs
	fr.mu.RLock()
	var b bytes.Buffer
	for _, l := range fr.sortedLibs() {
		b.WriteByte(funcDumpOpcode)
		writeRDBLen(&b, uint64(len(l.code)))
		b.WriteString(l.code)
	}
	fr.mu.RUnlock()
	b.Write([]byte{funcDumpRDBVer, 0})
	var crc [8]byte
	binary.LittleEndian.PutUint64(crc[:], redisCRC64(b.Bytes()))
	b.Write(crc[:])
	c.W.Bulk(b.Bytes())
	return nil
}

func writeRDBLen(b *bytes.Buffer, n uint64) {
	switch {
	case n < 1<<6:
		b.WriteByte(byte(n))
	case n < 1<<14:
		b.Write([]byte{0x40 | byte(n>>8), byte(n)})
	case n <= 0xffffffff:
		b.WriteByte(0x80)
		var x [4]byte
		binary.BigEndian.PutUint32(x[:], uint32(n))
		b.Write(x[:])
	default:
		b.WriteByte(0x81)
		var x [8]byte
		binary.BigEndian.PutUint64(x[:], n)
		b.Write(x[:])
	}
}

// readRDBLen reads a plain RDB length; ok is false for encoded values.
func readRDBLen(p []byte) (n uint64, size int, ok bool) {
	if len(p) == 0 {
		return 0, 0, false
	}
	switch p[0] >> 6 {
	case 0:
		return uint64(p[0] & 0x3f), 1, true
	case 1:
		if len(p) < 2 {
			return 0, 0, false
		}
		return uint64(p[0]&0x3f)<<8 | uint64(p[1]), 2, true
	case 2:
		if p[0] == 0x80 && len(p) >= 5 {
			return uint64(binary.BigEndian.Uint32(p[1:5])), 5, true
		}
		if p[0] == 0x81 && len(p) >= 9 {
			return binary.BigEndian.Uint64(p[1:9]), 9, true
		}
	}
	return 0, 0, false
}

// cmdFunctionRestore implements FUNCTION RESTORE payload [FLUSH|APPEND|REPLACE].
func cmdFunctionRestore(c *Ctx, args [][]byte) error {
	if len(args) > 4 {
		return errSubcommandSyntax(args[1], "FUNCTION")
	}
	policy := "append"
	if len(args) == 4 {
		policy = lowerName(args[3])
		if policy != "flush" && policy != "append" && policy != "replace" {
			return ReplyError("ERR Wrong restore policy given, value should be either FLUSH, APPEND or REPLACE.")
		}
	}
	p := args[2]
	if len(p) < 10 || binary.LittleEndian.Uint16(p[len(p)-10:]) > funcDumpRDBVer ||
		binary.LittleEndian.Uint64(p[len(p)-8:]) != redisCRC64(p[:len(p)-8]) {
		return ReplyError("ERR DUMP payload version or checksum are wrong")
	}
	p = p[:len(p)-10]
	var libs []*funcLib
	for len(p) > 0 {
		if p[0] != funcDumpOpcode {
			return ReplyError("ERR given type is not a function")
		}
		n, size, ok := readRDBLen(p[1:])
		if !ok || uint64(len(p)-1-size) < n {
			return ReplyError("ERR can not read data type")
		}
		code := string(p[1+size : 1+size+int(n)])
		p = p[1+size+int(n):]
		lib, msg := parseLibrary(code)
		if msg == "" {
			vm := getVM()
			msg = vm.loadLibrary(&libLoad{lib: lib, fns: map[string]*lua.LFunction{}, check: true})
			vm.funcGen = 0
			putVM(vm)
		}
		if msg != "" {
			return ReplyError("ERR " + msg)
		}
		libs = append(libs, lib)
	}
	fr := &c.S.ext().scripts.funcs
	fr.mu.Lock()
	defer fr.mu.Unlock()
	if policy == "flush" {
		oldLibs, oldFuncs := fr.libs, fr.funcs
		fr.libs, fr.funcs = map[string]*funcLib{}, map[string]*funcInfo{}
		if err := fr.linkLocked(libs, false, false); err != nil {
			fr.libs, fr.funcs = oldLibs, oldFuncs
			return err
		}
	} else if err := fr.linkLocked(libs, policy == "replace", false); err != nil {
		return err
	}
	c.W.OK()
	return nil
}

func cmdFunctionHelp(c *Ctx, args [][]byte) error {
	writeHelp(c.W, "FUNCTION", []string{
		"LOAD [REPLACE] <FUNCTION CODE>",
		"    Create a new library with the given library name and code.",
		"DELETE <LIBRARY NAME>",
		"    Delete the given library.",
		"LIST [LIBRARYNAME PATTERN] [WITHCODE]",
		"    Return general information on all the libraries:",
		"    * Library name",
		"    * The engine used to run the Library",
		"    * Library description",
		"    * Functions list",
		"    * Library code (if WITHCODE is given)",
		"    It also possible to get only function that matches a pattern using LIBRARYNAME argument.",
		"FLUSH [ASYNC|SYNC]",
		"    Delete all the libraries.",
		"    When called without the optional mode argument, the behavior is determined by the",
		"    lazyfree-lazy-user-flush configuration directive. Valid modes are:",
		"    * ASYNC: Asynchronously flush the libraries.",
		"    * SYNC: Synchronously flush the libraries.",
		"DUMP",
		"    Return a serialized payload representing the current libraries, can be restored using FUNCTION RESTORE command",
		"RESTORE <PAYLOAD> [FLUSH|APPEND|REPLACE]",
		"    Restore the libraries represented by the given payload, it is possible to give a restore policy to",
		"    control how to handle existing libraries (default APPEND):",
		"    * FLUSH: delete all existing libraries.",
		"    * APPEND: appends the restored libraries to the existing libraries. On collision, abort.",
		"    * REPLACE: appends the restored libraries to the existing libraries, On collision, replace the old",
		"      libraries with the new libraries (notice that even on this option there is a chance of failure",
		"      in case of functions name collision with another library).",
		"STATS",
		"    Return information about the current function running:",
		"    * Function name",
		"    * Command used to run the function",
		"    * Duration in MS that the function is running",
		"    If no function is running, return nil",
		"    In addition, returns a list of available engines.",
		"KILL",
		"    Kill the current running function.",
	})
	return nil
}
