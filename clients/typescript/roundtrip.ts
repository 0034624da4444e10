// Submit a lip-sync task with the TypeScript client generated from openapi.yaml, and poll it to `succeed`.
// Usage: node clients/typescript/build/js/roundtrip.js BASE_URL [TOKEN]   (BASE_URL such as http://127.0.0.1:8000/kling)
import createClient from "openapi-fetch";
import type { components, paths } from "./build/kling-lipsync.js";

type Task = components["schemas"]["LipSyncTask"];

const [baseUrl, token = "sk-typescript"] = process.argv.slice(2);
if (!baseUrl) {
  console.error("usage: roundtrip.js BASE_URL [TOKEN]");
  process.exit(2);
}

const client = createClient<paths>({ baseUrl, headers: { Authorization: `Bearer ${token}` } });

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
if (created.error || !created.data) {
  console.error("create refused:", JSON.stringify(created.error));
  process.exit(1);
}
const taskId: string = created.data.data.task_id;
console.log(`created ${taskId}`);

const deadline = Date.now() + 60_000;
let task: Task | undefined;
while (Date.now() < deadline) {
  const answer = await client.GET("/v1/videos/lip-sync/{task_id}", { params: { path: { task_id: taskId } } });
  if (answer.error || !answer.data) {
    console.error("query refused:", JSON.stringify(answer.error));
    process.exit(1);
  }
  task = answer.data.data;
  if (task.task_status === "succeed") {
    const video = task.task_result.videos[0];
    console.log(`succeed ${video?.url} (${video?.duration} s)`);
    process.exit(0);
  }
  if (task.task_status === "failed") {
    console.error(`failed: ${task.task_status_msg}`);
    process.exit(1);
  }
  await new Promise((resolve) => setTimeout(resolve, 200));
}
console.error(`still ${task?.task_status} at the deadline`);
process.exit(1);
