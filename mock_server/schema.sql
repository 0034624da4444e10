-- The mock's persistent state. AUTOINCREMENT: a task id is never handed out twice, even after a reset.
-- recorded_id and recording: a replayed task (mock --replay), its id in the recording, which it answers to, and
-- (JSON) the task object recorded in each status (mock_server/recording/replay.py). No comment stands between
-- columns added since: SQLite's DROP COLUMN then fails to parse what it leaves.
-- result_ms: how long the result lasts (NULL: stored before results had lengths; the template's);
-- sound: what the result is made of (results.Sound, JSON; NULL: the template's sound).
CREATE TABLE IF NOT EXISTS tasks (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    family TEXT NOT NULL, -- x-kling-family in openapi.yaml
    account TEXT NOT NULL,
    scenario TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    processing_at INTEGER NOT NULL,
    finished_at INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    failure_message TEXT NOT NULL,
    parent_video_id TEXT NOT NULL,
    parent_video_url TEXT NOT NULL,
    parent_video_duration TEXT NOT NULL,
    result_video_id TEXT NOT NULL,
    base_url TEXT NOT NULL,
    callback_url TEXT,
    request_input TEXT NOT NULL,
    external_task_id TEXT, -- the client's own id (advanced lip-sync); unique per account when set
    watermark INTEGER NOT NULL DEFAULT 0, -- a watermarked copy was asked for
    -- Queries so far, counted only for a scenario that plans its polls.
    polls INTEGER NOT NULL DEFAULT 0,
    recorded_id TEXT,
    recording TEXT,
    result_ms INTEGER,
    sound TEXT
);
CREATE INDEX IF NOT EXISTS tasks_by_account ON tasks (account, family, seq);
CREATE UNIQUE INDEX IF NOT EXISTS tasks_by_external_id ON tasks (account, external_task_id);
CREATE INDEX IF NOT EXISTS tasks_by_result ON tasks (result_video_id);
-- A recorded create is replayed once (until a reset): a second worker replaying it at the same moment fails here.
CREATE UNIQUE INDEX IF NOT EXISTS tasks_by_recorded_id ON tasks (recorded_id) WHERE recorded_id IS NOT NULL;

-- The tasks that may still be running, and how many per account: a create checks its account's concurrency
-- in the same time whatever the number of tasks running (a COUNT over tasks took longer with each one).
-- Triggers keep both; rows whose finished_at has passed go when their account reaches its limit
-- (Store.has_free_slot), each once, so that costs nothing per create either.
CREATE TABLE IF NOT EXISTS running (
    seq INTEGER PRIMARY KEY, -- tasks.seq
    account TEXT NOT NULL,
    finished_at INTEGER NOT NULL
);
CREATE INDEX IF NOT EXISTS running_by_end ON running (account, finished_at);
CREATE TABLE IF NOT EXISTS running_count (
    account TEXT PRIMARY KEY,
    tasks INTEGER NOT NULL
) WITHOUT ROWID;
CREATE TRIGGER IF NOT EXISTS task_created AFTER INSERT ON tasks BEGIN
    INSERT INTO running (seq, account, finished_at) VALUES (NEW.seq, NEW.account, NEW.finished_at);
END;
CREATE TRIGGER IF NOT EXISTS task_replanned AFTER UPDATE OF finished_at ON tasks BEGIN
    UPDATE running SET finished_at = NEW.finished_at WHERE seq = NEW.seq;
END;
CREATE TRIGGER IF NOT EXISTS running_added AFTER INSERT ON running BEGIN
    INSERT INTO running_count (account, tasks) VALUES (NEW.account, 1)
    ON CONFLICT (account) DO UPDATE SET tasks = tasks + 1;
END;
CREATE TRIGGER IF NOT EXISTS running_removed AFTER DELETE ON running BEGIN
    UPDATE running_count SET tasks = tasks - 1 WHERE account = OLD.account;
END;

-- identify-face sessions: a video's faces, valid until expires_at on the mock's clock.
CREATE TABLE IF NOT EXISTS sessions (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    expires_at INTEGER NOT NULL,
    video_id TEXT NOT NULL,
    video_url TEXT NOT NULL,
    video_ms INTEGER NOT NULL,
    faces TEXT NOT NULL -- JSON: [{"face_id", "start_time", "end_time"}]
);

-- Text-to-speech audio: what advanced lip-sync's audio_id names (this account's, 30 days, its true length).
CREATE TABLE IF NOT EXISTS audios (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    account TEXT NOT NULL,
    created_at INTEGER NOT NULL,
    duration_ms INTEGER NOT NULL,
    voice_id TEXT NOT NULL,
    voice_language TEXT NOT NULL,
    voice_speed TEXT NOT NULL,
    characters INTEGER NOT NULL
);

-- What the mock was told of videos and audio it cannot fetch (admin API, pytest plugin): by URL or id.
CREATE TABLE IF NOT EXISTS media (
    kind TEXT NOT NULL, -- 'video' | 'audio'
    key TEXT NOT NULL, -- the URL, or the video_id / audio_id
    duration_ms INTEGER NOT NULL,
    faces TEXT, -- videos: JSON face windows, as for sessions
    sound INTEGER NOT NULL DEFAULT 0, -- videos: whether it has a sound of its own (a hum in results)
    PRIMARY KEY (kind, key)
);

-- Audio sent as base64, kept for the results it sounds in (results.py), by its SHA-256.
CREATE TABLE IF NOT EXISTS blobs (
    sha256 TEXT PRIMARY KEY,
    data BLOB NOT NULL
);

-- Result videos made on their first download (results.py), by video id (and "<id>-watermarked").
CREATE TABLE IF NOT EXISTS results (
    name TEXT PRIMARY KEY,
    data BLOB NOT NULL
);

-- One row per (task, status) to announce; attempts are logged in delivery_attempts.
CREATE TABLE IF NOT EXISTS deliveries (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    task_seq INTEGER NOT NULL REFERENCES tasks (seq) ON DELETE CASCADE,
    status TEXT NOT NULL,
    due_at INTEGER NOT NULL,
    next_attempt_at INTEGER NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    state TEXT NOT NULL DEFAULT 'pending',
    claimed_until INTEGER NOT NULL DEFAULT 0,
    message_id TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS deliveries_due ON deliveries (state, next_attempt_at);

CREATE TABLE IF NOT EXISTS delivery_attempts (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    delivery_id INTEGER NOT NULL,
    task_id TEXT NOT NULL,
    task_status TEXT NOT NULL,
    url TEXT NOT NULL,
    attempt INTEGER NOT NULL,
    at INTEGER NOT NULL,
    outcome TEXT NOT NULL,
    http_status INTEGER,
    error TEXT,
    message_id TEXT NOT NULL,
    signed INTEGER NOT NULL,
    -- JSON: the headers the mock set on this attempt (Content-Type; webhook-id, -timestamp and -signature
    -- when signed), so an operator can check a signature the receiver rejected.
    headers TEXT NOT NULL,
    body TEXT NOT NULL
);

-- The request journal. No index but the id, on purpose: it holds at most journal_size rows (10,000 by
-- default), which a filtered query (GET /__mock__/requests?task_id=...) scans in about 0.5 ms, while an index
-- on task_id alone made each batch write 20% slower (2,000 entries: 6.2 ms -> 7.7 ms) on the request path.
CREATE TABLE IF NOT EXISTS journal (
    id INTEGER PRIMARY KEY AUTOINCREMENT,
    at INTEGER NOT NULL,
    method TEXT NOT NULL,
    path TEXT NOT NULL,
    query TEXT NOT NULL,
    gateway TEXT,
    family TEXT,
    status INTEGER NOT NULL,
    code INTEGER,
    request_id TEXT NOT NULL,
    task_id TEXT,
    account TEXT,
    authorization TEXT,
    scenario TEXT,
    body TEXT,
    duration_ms REAL NOT NULL,
    server TEXT -- which server answered (Settings.server_name): a team's servers share one journal
);

-- Scenarios defined at run time (PUT /__mock__/scenarios/NAME): every worker reads them; a reset or a new
-- run forgets them, like run-time settings.
CREATE TABLE IF NOT EXISTS scenarios (
    name TEXT PRIMARY KEY,
    definition TEXT NOT NULL -- JSON, valid against admin.yaml's ScenarioDefinition
);

-- Shared by every worker: the virtual clock's reading and the settings changed at run time.
CREATE TABLE IF NOT EXISTS mock_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    clock_ms INTEGER NOT NULL,
    config_changes TEXT NOT NULL DEFAULT '{}',
    generation INTEGER NOT NULL DEFAULT 0
);

-- Every run of a server that opened this database: a run it has not seen drops the run-time changes of the
-- runs before (the settings given at start win, docs/mock.md "What a restart keeps"); a worker of a run it has
-- seen (a worker restarted) keeps them, and on a team's database so does a server that starts while another
-- run is alive (seen in the last 10 s; 0 once its server exited: store.py, begin_run).
CREATE TABLE IF NOT EXISTS runs (
    run_id TEXT PRIMARY KEY,
    started_at INTEGER NOT NULL, -- wall time, Unix ms
    seen_at INTEGER NOT NULL -- wall time, Unix ms
);

-- How often each recorded answer of a replay was given (mock --replay), shared by every worker: identical
-- requests get the recorded answers in their recorded order, the last one repeating.
CREATE TABLE IF NOT EXISTS replay_uses (
    key TEXT PRIMARY KEY,
    uses INTEGER NOT NULL
) WITHOUT ROWID;
