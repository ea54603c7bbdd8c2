// Every limit of the ledger in one place, each with the reason for its value.
// Formats these limits apply to are specified in docs/formats.md.
#pragma once

#include <cstddef>
#include <cstdint>

namespace ledger::constants {

// Largest serialized Event a signer may submit. Events are small records (under 1 KiB); 56 KiB
// leaves room for long document titles and fact lists, bounds memory per queued append, and
// keeps every stored entry within entry_bytes_max below.
inline constexpr std::size_t event_bytes_max = 56 * 1024;
// Largest SignedEvent envelope: an event plus key, signature and roster proof.
inline constexpr std::size_t signed_event_bytes_max = event_bytes_max + 4096;
// Largest roster, in events. A county's monthly payment roster is a few thousand rows; 10,000
// is the largest the plan's programs produce, and one roster is committed in one WriteBatch.
inline constexpr std::size_t roster_events_max = 10'000;
inline constexpr std::size_t roster_header_bytes_max = 4096;
// Largest submitted SignedRoster: a header and 4 KiB per event on average (typical events are
// under 1 KiB; a single event may still be up to event_bytes_max).
inline constexpr std::size_t roster_bytes_max = roster_header_bytes_max + roster_events_max * 4096;
// Roster paths have one hash per tree level.
inline constexpr std::size_t roster_audit_path_max = 14;  // ceil(log2(roster_events_max))
static_assert((std::size_t{1} << roster_audit_path_max) >= roster_events_max);

// Largest stored LogEntry. C2SP tlog-tiles entry bundles (GET /tile/entries/N) prefix each entry
// with a 2-byte big-endian length, so no entry may be longer than 65,535 bytes.
inline constexpr std::size_t entry_bytes_max = 65'535;
// What a stored LogEntry adds to its Event bytes at most (docs/formats.md, "LogEntry"): each
// field is a tag byte, a length varint (3 bytes below 2^21, 2 below 2^14) and its bytes.
// The largest envelope is a roster event's: public key, RosterProof with the largest header, a
// signature, leaf_index below 2^14 and the longest audit path.
inline constexpr std::size_t roster_proof_bytes_max =
    (1 + 2 + roster_header_bytes_max) + (1 + 1 + 64) + (1 + 2) + roster_audit_path_max * (1 + 1 + 32);
inline constexpr std::size_t signed_event_overhead_bytes_max =
    (1 + 3) /* event tag, length */ + (1 + 1 + 32) /* public_key */ + (1 + 2 + roster_proof_bytes_max);
inline constexpr std::size_t entry_overhead_bytes_max =
    (1 + 10) /* index varint */ + (1 + 1 + 32) /* previous_hash */ + (1 + 10) /* sequenced_ms varint */ +
    (1 + 3) /* signed_event tag, length */ + signed_event_overhead_bytes_max;
static_assert(roster_events_max < (1 << 14) && roster_proof_bytes_max < (1 << 14));  // 2-byte varints above.
static_assert(event_bytes_max + signed_event_overhead_bytes_max < (1 << 21));          // 3-byte varints above.
// Every stored entry fits an entry bundle's 2-byte length (tlog-tiles).
static_assert(event_bytes_max + entry_overhead_bytes_max <= entry_bytes_max);

inline constexpr std::size_t event_id_bytes_max = 128;
inline constexpr std::size_t origin_bytes_max = 256;
inline constexpr std::size_t actor_name_bytes_max = 128;

// Appends waiting for signature checks or sequencing. Beyond this, Submit answers kBusy at
// once instead of growing memory: about 64 MiB of queued events at the typical 1 KiB.
inline constexpr std::size_t append_queue_max = 65'536;
// Entries committed in one synced WriteBatch. Bounds the latency one batch adds and the size
// of a WriteBatch (a roster may exceed it: a roster is never split across batches).
inline constexpr std::size_t commit_batch_entries_max = 8'192;
static_assert(commit_batch_entries_max <= append_queue_max);
// What one entry adds to a commit's WriteBatch beyond its envelope and event id: the entry's own
// fields (index, previous hash, time: under 60 bytes), two keys, record headers, and its share of
// tile rows (32 bytes a leaf, plus the levels above). Sizes the batch's buffer up front.
inline constexpr std::size_t entry_write_overhead_bytes = 160;
// Stateless checks (decode, signature) are handed to workers in chunks of this many appends.
// An append waits for its whole chunk (about 60 us of Ed25519 per event) before it can be
// sequenced, so chunks stay small: 8 costs under 0.5 ms of latency and one lock per 8 events.
inline constexpr std::size_t check_chunk_max = 8;
// The sequencer looks up a batch's event ids (idempotency) in MultiGets of this many keys:
// RocksDB's inline capacity for one (MultiGetContext::MAX_BATCH_SIZE), which is also the size
// of the groups it reads a larger one in.
inline constexpr std::size_t event_id_lookup_chunk = 32;
// Group commit under load. While the check stage holds at least this many chunks per worker
// (queued or being checked: 32 appends with 2 workers), the workers are saturated, and the
// sequencer waits for batch_fill_events checked appends before it builds a batch. Each batch
// costs the workers CPU: a synced write and the wake-ups of the sequencer and committer, which
// on a 2-vCPU VM preempt a worker every time. Built as soon as one append was ready, batches at
// peak held about 40 appends (600 a second); filled to 128, peak appends went from 0.65-0.70 to
// 0.73-0.79 x the verify limit (docs/bench.md). Without a backlog a batch is built at once.
inline constexpr std::size_t batch_fill_backlog_chunks = 2;
inline constexpr std::size_t batch_fill_events = 128;
static_assert(batch_fill_events <= commit_batch_entries_max);
// Batches of at least this many entries are freed on a thread of their own (ledger-free) once
// durable, not by the committer: freeing a roster's batch (10,000 decoded events and their
// buffers) took an eighth of the committer's time, on the thread every batch waits for. Smaller
// batches are freed where they are, which costs less than waking a thread.
inline constexpr std::size_t batch_free_elsewhere_entries = 1024;
// A batch of at least this many entries (a roster, mostly) writes its entries as one table file
// that RocksDB ingests into its last level, and the rest of the batch (ids, tree, head) as a
// synced WriteBatch after it. Its entries then skip the WAL, the memtable, the flush and every
// compaction: on a roster those took about half of the committer's time and a flush thread's
// compression. Smaller batches keep one WriteBatch: a table file and its ingestion cost two
// more syncs.
inline constexpr std::size_t ingest_entries_min = 2048;
// The longest LogEntry head (ledger/entry_codec.h): index, previous hash, time, envelope length.
inline constexpr std::size_t entry_head_bytes_max = 64;
// A roster's decoded events live on one protobuf arena (ledger/event_check.h), in blocks of this
// size: a 10,000-event roster of typical events takes about ten.
inline constexpr std::size_t roster_arena_block_bytes = 256 << 10;
// The log signs a checkpoint at most this often (C2SP tlog-checkpoint: logs bound the rate so
// witnesses and mirrors keep up). A batch committed sooner after the last checkpoint waits for
// the next: the committer signs the durable head once the interval has passed, so an idle log
// never has an unsigned tail for longer than this. Close signs whatever is left.
inline constexpr int checkpoint_interval_ms = 1000;
// Worker threads for stateless checks; 0 means one per core.
inline constexpr std::size_t check_threads_max = 64;

// ledgerd verifies its stored log in the background at start-up on this many checking threads,
// leaving the other cores to appends; a million entries take about a minute per thread.
inline constexpr std::size_t background_verify_threads = 1;

// Verification reads the log in windows of this many entries and verifies their signatures in
// parallel; it bounds verify's memory.
inline constexpr std::size_t verify_window_entries = 16'384;
// Verification workers take entries of a window in chunks of this many (about 3 ms of signature
// checks): small enough that they finish a window together, large enough that taking one is noise.
inline constexpr std::size_t verify_chunk_entries = 64;

// RocksDB memory, shared by all column families of one open store. Memtables: a write that
// would take them past this flushes the largest first. Block cache: data, index and filter
// blocks (filters answer the event-id probe of every append), so memory stays flat however
// long the log grows.
inline constexpr std::size_t memtable_bytes_max = 192 << 20;
inline constexpr std::size_t block_cache_bytes = 64 << 20;
// A scan of the whole log (verify, rebuild) reads table files ahead in blocks of this size and
// leaves the block cache alone: each block is read once, and inserting it would only evict the
// filter and index blocks the appends need.
inline constexpr std::size_t scan_readahead_bytes = 2 << 20;
// The block cache in 2^1 shards of 32 MiB: a shard must hold the largest filter or index block.
inline constexpr int block_cache_shard_bits = 1;
// Memtable size per column family before it is flushed: some 50,000 entries. A flush keeps one
// core busy while it runs (about 55 ms for 16 MiB of entries), so at half of peak the appends
// arriving meanwhile queue for the other: with 64 MiB entry memtables the flush's quarter second
// put the half-load p99 at 13-18 ms, at 16 MiB it is 7-10 ms (docs/bench.md).
inline constexpr std::size_t family_memtable_bytes = 16 << 20;
// One active and one flushing memtable per column family (six families) fit the budget.
static_assert(6 * 2 * family_memtable_bytes <= memtable_bytes_max);
// Flushes and compactions sync their output every this many bytes as they write it. Without it
// a flush of the entries memtable left ~40 MB for one final fsync, and the group commit's WAL
// fsync queued behind it: a 20-45 ms stall once per flush, the worst of `ledgerctl bench`'s
// half-load latencies.
inline constexpr std::uint64_t background_bytes_per_sync = 1 << 20;
// Flushes and compactions together write at most this many bytes a second, handed out in
// slices every background_write_refill_micros (335,544 bytes each). On this project's VM a synced WAL
// write waits for the background bytes queued at the disk ahead of it: beside 32 MiB written
// at once every second, synced writes arriving at random waited up to 54-68 ms (p99); beside
// the same 32 MiB a second in 256 KiB pieces every 8 ms, 2-4 ms. At half of peak the append
// p99 was under 10 ms in 4 of 21 runs unpaced and in 13 of 19 paced at 32 MiB/s (medians 13.7
// and 8.8 ms), and the 10-million run's peak appends and rosters kept up (docs/bench.md).
// The live store only: a rebuild and a verify's scratch replay have no appends waiting.
inline constexpr std::int64_t background_write_bytes_per_second = 32 << 20;
inline constexpr std::int64_t background_write_refill_micros = 10'000;
// RocksDB background threads: one flushes, two compact. With one compaction thread, an event-id
// compaction (every id rewritten: 15 s under load at 5 million ids) held up the entries' L0
// files, which need only a trivial move, until 20 piled up and RocksDB slowed every write.
inline constexpr int background_jobs = 3;
// Level-0 files of event ids that start a compaction (RocksDB's default is 4). Ids are random,
// so every such compaction merges the new files into the whole last level: at 10 million ids
// each one rewrote all of them (8.5 s of CPU, every 1.2 million new ids, so 7 us per append at
// the end of the bench's 10-million run, 36 s of CPU in all). Twice the files halve how often,
// for a probe of a few more in-memory filters per event id.
inline constexpr int event_ids_l0_files_compaction_trigger = 8;

// Fund flows (ledger/funds.h). The largest amount one event may carry: 1 trillion yuan, far
// beyond any employment fund, so a typo of many digits is refused while sums of the largest
// amounts stay inside int64 for some 92,000 events (sums are checked for overflow regardless).
inline constexpr std::int64_t amount_fen_max = 100'000'000'000'000;
// Codes (fund, program, rate parameter) and free text (names, document numbers, reasons).
inline constexpr std::size_t code_bytes_max = 64;
inline constexpr std::size_t text_bytes_max = 512;
// Facts a disbursement carries for its subsidy rule.
inline constexpr std::size_t facts_max = 32;

// Tiles of tile level 1 and above whose inner nodes proofs keep computed (tiles_impl.h),
// 16 KiB each: 16 MiB, every upper tile of a log of up to 2^26 (67 million) entries.
inline constexpr std::size_t tile_node_cache_tiles_max = 1024;

// Rebuild and verification write replayed projection rows in batches of this many entries:
// large enough that per-batch work (current totals, invariants over every cell) is noise.
inline constexpr std::size_t rebuild_batch_entries = 65'536;

// HTTP (api/): the largest request body. A roster of 10,000 typical events (under 700 bytes
// each) is some 9 MiB once base64-encoded in its JSON body; larger bodies get 413 before they
// are buffered.
inline constexpr std::size_t http_body_bytes_max = 16 << 20;
inline constexpr std::size_t http_header_bytes_max = 16 << 10;
// A request must arrive whole, and a response be taken, within this many seconds.
inline constexpr int http_io_timeout_seconds = 30;
// GET /v1/entries pages: at most 1,000 entries (under 2 MiB of JSON at the 64 KiB event limit's
// typical 1 KiB), 100 when the client names no limit.
inline constexpr std::size_t entries_page_max = 1000;
inline constexpr std::size_t entries_page_default = 100;
// Requests one connection may have in flight (HTTP/1.1 pipelining, answered in order). Beyond
// this, or once the requests in flight hold a full body's worth of bytes, the server reads no
// more from that connection until an answer leaves, so its memory stays bounded per connection.
inline constexpr std::size_t http_pipeline_max = 16;
inline constexpr std::size_t http_pipeline_bytes_max = http_body_bytes_max;
// On SIGTERM the server stops accepting, answers what it is working on (appends finish once
// durable) and waits at most this long for those answers to be taken before it closes.
inline constexpr int http_drain_seconds = 10;

// Ledgerctl as a client of ledgerd (--server): connecting, sending a request and receiving its
// answer each get this many seconds, the server's own limit, so a stalled server or network
// fails the command instead of hanging a script.
inline constexpr int http_client_timeout_seconds = 30;
// The largest answer ledgerctl reads from ledgerd. The largest answers are a roster's receipts
// (some 110 bytes each, about 1.1 MiB for roster_events_max) and reference lists; 64 MiB bounds
// the client's memory against a server or proxy that streams without end.
inline constexpr std::size_t http_client_response_bytes_max = 64 << 20;
static_assert(http_client_response_bytes_max >= roster_events_max * 256);
// `ledgerctl export --server`: most connections fetching pages of entries at once. Each is a
// signed GET on a connection of its own; a few hide the round trips without crowding ledgerd.
inline constexpr std::size_t export_connections_max = 16;

// Ledgerctl: largest JSON file `append` reads.
inline constexpr std::size_t json_input_bytes_max = 4 * event_bytes_max;
// Ledgerctl: largest roster CSV `roster` reads (tools/roster_csv.h). A row of a finance office's
// export is under 1 KiB even with its names and remarks; 4 KiB per row for roster_events_max rows
// bounds memory while leaving room for every column the spreadsheet carries beside ours.
inline constexpr std::size_t roster_csv_bytes_max = roster_events_max * 4096;

// Personal-data vault (ledger/vault.h, docs/privacy.md). A name is UTF-8 as on the ID card:
// 64 bytes hold 21 CJK characters (3 bytes each), room for long transliterated names with '·'.
inline constexpr std::size_t vault_name_bytes_max = 64;
// Bank account numbers, digits only. Social security cards carry 16-19 digits; the wider range
// admits unit and passbook accounts of other lengths and refuses what cannot be an account.
inline constexpr std::size_t vault_bank_account_digits_min = 8;
inline constexpr std::size_t vault_bank_account_digits_max = 32;
static_assert(vault_bank_account_digits_min <= vault_bank_account_digits_max);
// Memtable per vault column family. The vault holds a few hundred bytes per person and is
// flushed at every erasure, so it never needs the ledger's large write buffers.
inline constexpr std::size_t vault_memtable_bytes = 4 << 20;

// Signed API requests (api/request_auth.h, docs/api.md). A request whose timestamp is more than
// this from the server clock, either way, is refused: 5 minutes absorbs unsynchronised office
// clocks and slow links, and bounds how long the server must remember a signature to refuse its
// replay.
inline constexpr std::int64_t request_skew_ms_max = 5 * 60 * 1000;
// Accepted request signatures remembered to refuse replays, each until its timestamp leaves the
// window (5 minutes after arrival for a client with a true clock, at most 10). An entry is the
// timestamp and the SHA-256 of the signature in an ordered-set node, 80 bytes of heap: at most
// 76 MiB. A full cache refuses requests (busy) rather than forget a signature that could still be
// replayed; it fills only above some 3,300 accepted requests a second held for 5 minutes, far
// beyond what the county offices send.
inline constexpr std::size_t replay_cache_entries_max = 1'000'000;

// Witnesses (C2SP tlog-witness; tools/witness.h, api/witness_submitter.h, docs/crypto.md).
// tlog-witness: "The client MUST NOT send more than 63 consistency proof lines" (a proof has at
// most one hash per level of a tree of up to 2^64 leaves, minus one).
inline constexpr std::size_t witness_proof_hashes_max = 63;
// An add-checkpoint body: "old N", 63 proof lines of 45 bytes, a blank line and the checkpoint
// note. A checkpoint with its signatures is well under 8 KiB; 64 KiB bounds what a witness reads.
inline constexpr std::size_t witness_request_bytes_max = 64 << 10;
static_assert(witness_request_bytes_max > 32 + witness_proof_hashes_max * 45 + 8192);
// A witness's answer: cosignature lines (or a size), each under 200 bytes; 16 KiB is ample.
inline constexpr std::size_t witness_response_bytes_max = 16 << 10;
// Witnesses one ledgerd submits to. Each is asked in turn by one thread, so the count bounds
// how stale the last witness's cosignature can be; a dozen covers any sensible quorum.
inline constexpr std::size_t witnesses_max = 16;
// The submitter looks for a new checkpoint this often: 100 ms adds little delay to a
// cosignature, and a look is one copy of the checkpoint note, nothing on the append path.
inline constexpr int witness_poll_interval_ms = 100;
// Connecting to a witness, sending and receiving each get this long: a stalled witness delays
// the others by at most this per step, and never delays an append (a separate thread).
inline constexpr int witness_timeout_seconds = 5;
// After a witness fails (unreachable, refuses, answers what does not verify), it is asked again
// after this long, so a witness that is down is not hammered.
inline constexpr int witness_retry_interval_ms = 1000;
static_assert(witness_retry_interval_ms >= witness_poll_interval_ms);

}  // namespace ledger::constants
