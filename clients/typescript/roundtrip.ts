// Every family through the TypeScript client generated from openapi.yaml, each task polled to `succeed`: a
// legacy text2video task; the advanced flow (identify the faces, lip-sync one to a cropped audio URL); and from
// a text on the current API (text-to-speech, then advanced lip-sync of its audio id, cropped to its length).
// Usage: node clients/typescript/build/js/roundtrip.js BASE_URL [TOKEN]   (BASE_URL such as http://127.0.0.1:8000/kling)
import createClient from "openapi-fetch";
import type { components, paths } from "./build/kling-lipsync.js";

type Schemas = components["schemas"];
type Task = Schemas["LipSyncTask"];
type AdvancedTask = Schemas["AdvancedLipSyncTask"];
type Face = Schemas["Face"];
type FaceChoice = Schemas["FaceChoice"];

// What polling needs of a task; both families' tasks have it, so one loop serves them.
type Pollable = { task_status: Schemas["TaskStatusValue"]; task_status_msg: string };

// 10 s long by the mock's default for an audio URL; only 3 s of it are used, so the crop is checked too.
const AUDIO_URL = "https://example.com/audio/line.mp3";
const CROP_MS = 3000;

const [baseUrl, token = "sk-typescript"] = process.argv.slice(2);
if (!baseUrl) {
  console.error("usage: roundtrip.js BASE_URL [TOKEN]");
  process.exit(2);
}

const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

function fail(message: string): never {
  console.error(message);
  process.exit(1);
}

// Polls until the task ends; `query` answers undefined when the service refused, having said why.
async function waitUntilDone<T extends Pollable>(query: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + 60_000;
  let task: T | undefined;
  while (Date.now() < deadline) {
    task = await query();
    if (!task) process.exit(1);
    if (task.task_status === "succeed") return task;
    if (task.task_status === "failed") fail(`failed: ${task.task_status_msg}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  fail(`still ${task?.task_status} at the deadline`);
}

async function legacyRoundTrip(): Promise<void> {
  const created = await client.POST("/v1/videos/lip-sync", {
    body: {
      input: {
        mode: "text2video",
        video_url: "https://example.com/videos/speaker.mp4",
        text: "Hello from TypeScript",
        voice_id: "oversea_male1",
        voice_language: "en",
      },
    },
  });
  if (created.error || !created.data) fail(`create refused: ${JSON.stringify(created.error)}`);
  const taskId: string = created.data.data.task_id;
  console.log(`created ${taskId}`);

  const task: Task = await waitUntilDone(async () => {
    const answer = await client.GET("/v1/videos/lip-sync/{task_id}", { params: { path: { task_id: taskId } } });
    if (answer.error || !answer.data) console.error("query refused:", JSON.stringify(answer.error));
    return answer.data?.data;
  });
  const video = task.task_result.videos[0];
  console.log(`succeed ${video?.url} (${video?.duration} s)`);
}

// The audio an advanced task speaks: a URL or an audio id, and how much of it to use.
type Audio = { source: { sound_file: string } | { audio_id: string }; cropMs: number; label: string };

async function spokenAudio(): Promise<Audio> {
  const spoken = await client.POST("/v1/audio/tts", {
    body: { text: "Hello from TypeScript, spoken by Kling.", voice_id: "oversea_male1", voice_language: "en" },
  });
  if (spoken.error || !spoken.data) fail(`text-to-speech refused: ${JSON.stringify(spoken.error)}`);
  const audio: Schemas["TtsAudio"] | undefined = spoken.data.data.task_result.audios[0];
  if (!audio) fail(`text-to-speech ${spoken.data.data.task_id} made no audio: ${spoken.data.data.task_status_msg}`);
  console.log(`spoke ${audio.id} (${audio.duration} s)`);
  // Kling writes seconds with three decimals; the crop is the whole audio, in milliseconds.
  return { source: { audio_id: audio.id }, cropMs: Math.round(Number(audio.duration) * 1000), label: "spoken" };
}

async function advancedRoundTrip(audio: Audio): Promise<void> {
  const identified = await client.POST("/v1/videos/identify-face", {
    body: { video_url: "https://example.com/videos/speaker.mp4" },
  });
  if (identified.error || !identified.data) fail(`identify-face refused: ${JSON.stringify(identified.error)}`);
  const session = identified.data.data;
  // The face seen longest leaves the most room for the audio (the Python client's default too).
  const face: Face | undefined = session.face_data.reduce<Face | undefined>(
    (best, candidate) =>
      !best || candidate.end_time - candidate.start_time > best.end_time - best.start_time ? candidate : best,
    undefined,
  );
  if (!face) fail(`no usable face in session ${session.session_id}`);
  console.log(`session ${session.session_id}: face ${face.face_id} at [${face.start_time}, ${face.end_time}] ms`);

  // Inserted where the face appears, as the spec's identify-face link does: the whole crop then overlaps
  // the face's window, well over the 2000 ms the service asks for.
  const choice: FaceChoice = {
    face_id: face.face_id,
    ...audio.source,
    sound_start_time: 0,
    sound_end_time: audio.cropMs,
    sound_insert_time: face.start_time,
  };
  const created = await client.POST("/v1/videos/advanced-lip-sync", {
    body: { session_id: session.session_id, face_choose: [choice], watermark_info: { enabled: true } },
  });
  if (created.error || !created.data) fail(`advanced create refused: ${JSON.stringify(created.error)}`);
  const taskId: string = created.data.data.task_id;
  console.log(`created ${audio.label} ${taskId}`);

  const task: AdvancedTask = await waitUntilDone(async () => {
    const answer = await client.GET("/v1/videos/advanced-lip-sync/{task_id}", {
      params: { path: { task_id: taskId } },
    });
    if (answer.error || !answer.data) console.error("advanced query refused:", JSON.stringify(answer.error));
    return answer.data?.data;
  });
  const video = task.task_result.videos[0];
  if (!video) fail(`advanced task ${taskId} succeeded without a video`);
  // The watermark was asked for, so an empty watermark_url is a broken promise, not a detail.
  if (!video.watermark_url) fail(`advanced task ${taskId} has no watermark_url despite watermark_info.enabled`);
  console.log(`succeed ${audio.label} ${video.url} (${video.duration} s), watermarked ${video.watermark_url}`);
}

await legacyRoundTrip();
await advancedRoundTrip({ source: { sound_file: AUDIO_URL }, cropMs: CROP_MS, label: "advanced" });
await advancedRoundTrip(await spokenAudio());
