// The browser phone (standin/phone_api.py). Polls /_standin/phone/events and draws the
// phones: yours (the patient's) and every phone the stand-in rings while the page is open.
"use strict";

const API = "/_standin/phone";
const params = new URLSearchParams(location.search);
const RECORD_SECONDS = Number(params.get("record") || 4); // a few seconds at each <Record>
const POLL_MS = 300;
const KEYS = [["1", ""], ["2", "abc"], ["3", "def"], ["4", "ghi"], ["5", "jkl"], ["6", "mno"],
  ["7", "pqrs"], ["8", "tuv"], ["9", "wxyz"], ["*", ""], ["0", "+"], ["#", ""]];
const ENDED = { completed: "Call ended", busy: "Declined", "no-answer": "Missed call",
  canceled: "Call cancelled", failed: "Call failed" };

async function api(path, body, method) {
  const init = { method: method || (body === undefined ? "GET" : "POST") };
  if (body instanceof Blob) { init.body = body; init.headers = { "Content-Type": "audio/wav" }; }
  else if (body !== undefined) { init.body = JSON.stringify(body); }
  const response = await fetch(API + path, init);
  const data = await response.json();
  if (!response.ok) { throw new Error(data.error || data.message || response.statusText); }
  return data;
}

function speak(text, lang) {
  if (!document.getElementById("sound").checked || !("speechSynthesis" in window)) { return; }
  const utterance = new SpeechSynthesisUtterance(text);
  utterance.lang = lang;
  const voices = speechSynthesis.getVoices();
  utterance.voice = voices.find((v) => v.lang === lang)
    || voices.find((v) => v.lang.slice(0, 2) === lang.slice(0, 2)) || null;
  speechSynthesis.speak(utterance);
}

function hush() { if ("speechSynthesis" in window) { speechSynthesis.cancel(); } }

// -- recording: the microphone (MediaRecorder), sent as 8 kHz 16-bit WAV --------------------
function wavFrom(samples, rate) {
  const out = new DataView(new ArrayBuffer(44 + samples.length * 2));
  const text = (at, s) => { for (let i = 0; i < s.length; i++) { out.setUint8(at + i, s.charCodeAt(i)); } };
  text(0, "RIFF"); out.setUint32(4, 36 + samples.length * 2, true); text(8, "WAVEfmt ");
  out.setUint32(16, 16, true); out.setUint16(20, 1, true); out.setUint16(22, 1, true);
  out.setUint32(24, rate, true); out.setUint32(28, rate * 2, true); out.setUint16(32, 2, true);
  out.setUint16(34, 16, true); text(36, "data"); out.setUint32(40, samples.length * 2, true);
  samples.forEach((s, i) => out.setInt16(44 + i * 2, Math.max(-1, Math.min(1, s)) * 0x7fff, true));
  return new Blob([out], { type: "audio/wav" });
}

function tone(seconds) { // no microphone: a quiet tone stands in for the voice
  const rate = 8000;
  const samples = new Float32Array(Math.round(seconds * rate));
  for (let i = 0; i < samples.length; i++) { samples[i] = 0.1 * Math.sin(2 * Math.PI * 440 * i / rate); }
  return wavFrom(samples, rate);
}

async function toWav(blob, seconds) {
  try {
    const decoded = await new AudioContext().decodeAudioData(await blob.arrayBuffer());
    const length = Math.max(1, Math.ceil(decoded.duration * 8000));
    const offline = new OfflineAudioContext(1, length, 8000);
    const source = offline.createBufferSource();
    source.buffer = decoded;
    source.connect(offline.destination);
    source.start();
    return wavFrom((await offline.startRendering()).getChannelData(0), 8000);
  } catch (err) {
    return tone(seconds);
  }
}

function beep() {
  try {
    const ctx = new AudioContext();
    const osc = ctx.createOscillator();
    osc.frequency.value = 1000;
    osc.connect(ctx.destination);
    osc.start();
    osc.stop(ctx.currentTime + 0.3);
  } catch (err) { /* no audio output: the screen says it */ }
}

class Recorder {
  constructor(seconds, onTick) { this.seconds = seconds; this.onTick = onTick; this.key = null; }

  async run() { // resolves to [wav blob, key that ended it or null]
    const started = Date.now();
    let stream = null;
    try { stream = await navigator.mediaDevices.getUserMedia({ audio: true }); } catch (err) { stream = null; }
    if (!stream || !window.MediaRecorder) {
      await this.wait(started);
      return [tone(Math.max(1, (Date.now() - started) / 1000)), this.key];
    }
    const recorder = new MediaRecorder(stream);
    const chunks = [];
    recorder.ondataavailable = (e) => chunks.push(e.data);
    const stopped = new Promise((resolve) => { recorder.onstop = resolve; });
    recorder.start();
    await this.wait(started);
    recorder.stop();
    await stopped;
    stream.getTracks().forEach((t) => t.stop());
    const took = (Date.now() - started) / 1000;
    return [await toWav(new Blob(chunks, { type: recorder.mimeType }), took), this.key];
  }

  wait(started) {
    return new Promise((resolve) => {
      this.finish = resolve;
      const tick = () => {
        const left = this.seconds - (Date.now() - started) / 1000;
        if (left <= 0 || this.key !== null) { resolve(); return; }
        this.onTick(Math.ceil(left));
        setTimeout(tick, 200);
      };
      tick();
    });
  }

  stop(key) { this.key = key; if (this.finish) { this.finish(); } }
}

// -- one phone on the page ------------------------------------------------------------------
class Phone {
  constructor(el, number, isPatient) {
    this.el = el;
    this.number = number;
    this.isPatient = isPatient;
    this.sid = null;
    this.state = "idle"; // idle | calling | ringing | connected
    this.recorder = null;
    this.keys = Promise.resolve(); // keys reach the stand-in in the order pressed
    this.el.dataset.gathers = "0"; // how many prompts for keys / recordings so far
    this.el.dataset.records = "0";
    this.part = (role) => el.querySelector(`[data-role="${role}"]`);
    const pad = this.part("keypad");
    KEYS.forEach(([key, letters]) => {
      const button = document.createElement("button");
      button.type = "button";
      button.dataset.key = key;
      button.setAttribute("aria-label", `key ${key}`);
      button.innerHTML = `${key}<small>${letters || "&nbsp;"}</small>`;
      button.addEventListener("click", () => this.press(key, button));
      pad.appendChild(button);
    });
    this.part("green").addEventListener("click", () => this.green());
    this.part("red").addEventListener("click", () => this.red());
    this.render();
  }

  line(text, cls) {
    const transcript = this.part("transcript");
    const p = document.createElement("p");
    p.textContent = text;
    if (cls) { p.className = cls; }
    transcript.appendChild(p);
    while (transcript.children.length > 60) { transcript.removeChild(transcript.firstChild); }
    transcript.scrollTop = transcript.scrollHeight;
  }

  status(text) { this.part("status").textContent = text; }
  hint(text) { this.part("hint").textContent = text || ""; }

  render() {
    const green = this.part("green");
    const red = this.part("red");
    this.el.classList.toggle("ringing", this.state === "ringing");
    green.disabled = !(this.state === "ringing" || (this.isPatient && this.state === "idle"));
    green.textContent = this.state === "ringing" ? "Answer" : "Call";
    red.disabled = this.state === "idle";
    red.textContent = this.state === "ringing" ? "Decline" : "End";
    this.el.querySelectorAll(".keypad button").forEach((b) => { b.disabled = this.state !== "connected"; });
    if (this.isPatient) { document.getElementById("mine").disabled = this.state !== "idle"; }
  }

  async green() {
    try {
      if (this.state === "ringing") {
        await api(`/calls/${this.sid}/answer`, {});
      } else if (this.isPatient && this.state === "idle") {
        const to = document.getElementById("line").value;
        this.number = document.getElementById("mine").value.replace(/\s+/g, "");
        this.part("transcript").textContent = "";
        this.state = "calling";
        this.render();
        const select = document.getElementById("line");
        this.status(`Calling ${select.options[select.selectedIndex].text}`);
        this.sid = (await api("/calls", { from: this.number, to })).call_sid;
      }
    } catch (err) {
      this.line(`(${err.message})`, "note");
      if (this.state === "calling") { this.state = "idle"; this.render(); }
    }
  }

  async red() {
    if (!this.sid) { return; }
    hush();
    if (this.recorder) { this.recorder.stop(null); }
    try { await api(`/calls/${this.sid}/hangup`, {}); } catch (err) { this.line(`(${err.message})`, "note"); }
  }

  async press(key, button) {
    if (this.state !== "connected" || !this.sid) { return; }
    button.classList.add("pressed");
    setTimeout(() => button.classList.remove("pressed"), 150);
    hush(); // a key stops the prompt, as on Twilio
    if (this.recorder) { this.recorder.stop(key); return; }
    const sid = this.sid;
    this.keys = this.keys.then(() => api(`/calls/${sid}/digits`, { digits: key }))
      .catch((err) => this.line(`(${err.message})`, "note"));
  }

  async record(event) {
    const seconds = Math.max(1, Math.min(RECORD_SECONDS, event.max_length || RECORD_SECONDS));
    const sid = this.sid;
    beep();
    this.recorder = new Recorder(seconds, (left) => this.hint(`● Recording… ${left} s (press # to finish)`));
    const [wav, key] = await this.recorder.run();
    this.recorder = null;
    this.hint("Sending the recording…");
    const finish = key && (event.finish_on_key || "").includes(key) ? `?key=${encodeURIComponent(key)}` : "";
    try { await api(`/calls/${sid}/recording${finish}`, wav); } catch (err) { this.line(`(${err.message})`, "note"); }
  }

  handle(e) {
    const mine = e.interactive;
    if (e.kind === "call") { this.progress(e); }
    else if (e.kind === "say") {
      this.line(e.text);
      if (mine) { for (let i = 0; i < Math.min(e.loop || 1, 3); i++) { speak(e.text, e.language); } }
    } else if (e.kind === "play") {
      this.line(`♪ ${decodeURIComponent(e.url.split("/").pop())}`, "note");
      if (mine) { new Audio(e.url).play().catch(() => {}); }
    } else if (e.kind === "gather") {
      this.el.dataset.gathers = String(Number(this.el.dataset.gathers) + 1);
      const many = e.num_digits !== 1 && e.finish_on_key === "#";
      this.hint(mine ? `Press a key${many ? ", then #" : ""}` : "Waiting for keys…");
    } else if (e.kind === "record") {
      this.hint("Recording…");
      if (mine && e.call_sid === this.sid) { this.record(e); }
    } else if (e.kind === "record-done") {
      this.el.dataset.records = String(Number(this.el.dataset.records) + 1);
      this.hint(e.recording_sid ? `Recorded ${Math.round(e.seconds)} s` : "Nothing recorded");
    } else if (e.kind === "keys") {
      this.line(`You pressed ${e.keys}`, "me");
      this.hint("");
    } else if (e.kind === "dial") {
      this.line(`Connecting: ${e.to.join(", ")}`, "note");
    } else if (e.kind === "conference") {
      const role = e.role ? ` as ${e.role}` : "";
      this.line(e.event === "join" ? `Joined the conference ${e.name}${role}` : `Left the conference ${e.name}`, "note");
      this.status(e.event === "join" ? "In the conference" : "Connected");
    }
  }

  progress(e) {
    if (e.event === "dialling") {
      this.sid = e.call_sid;
      if (e.direction === "inbound") { this.state = "calling"; }
    } else if (e.call_sid !== this.sid) {
      return;
    } else if (e.event === "ringing" && e.direction !== "inbound") {
      this.state = "ringing";
      this.part("transcript").textContent = "";
      this.status(`Incoming call from ${e.line}`);
      this.hint(e.interactive ? "" : "Its script answers");
    } else if (e.event === "answered") {
      this.state = "connected";
      this.status(`Connected · ${e.line}`);
      this.hint("");
    } else if (e.event === "completed") {
      this.state = "idle";
      if (this.recorder) { this.recorder.stop(null); }
      this.status(ENDED[e.status] || `Call ${e.status}`);
      this.hint("");
      this.sid = null;
    }
    this.render();
  }
}

// -- the page -------------------------------------------------------------------------------
const patient = new Phone(document.getElementById("patient"), "", true);
const staff = new Map();

function staffPhone(e) {
  let phone = staff.get(e.phone);
  if (!phone) {
    const el = document.getElementById("staff-template").content.firstElementChild.cloneNode(true);
    document.getElementById("staffphones").appendChild(el);
    document.getElementById("nostaff").hidden = true;
    phone = new Phone(el, e.phone, false);
    el.setAttribute("aria-label", `Phone ${e.label || e.phone}`);
    phone.part("who").textContent = e.label ? `${e.label} · ${e.phone}` : e.phone;
    staff.set(e.phone, phone);
  }
  return phone;
}

let next = 0;
async function poll() {
  try {
    const data = await api(`/events?after=${next}`);
    next = data.next;
    for (const e of data.events) {
      if (e.phone === patient.number) { patient.handle(e); }
      else if (e.direction !== "inbound") { staffPhone(e).handle(e); }
    }
  } catch (err) { /* the stand-in restarted or is busy: try again */ }
  setTimeout(poll, POLL_MS);
}

async function start() {
  const mine = document.getElementById("mine");
  mine.value = params.get("from") || `+9199990${String(Math.floor(Math.random() * 100000)).padStart(5, "0")}`;
  patient.number = mine.value;
  const data = await api("/lines");
  const select = document.getElementById("line");
  data.lines.forEach((line) => {
    const option = document.createElement("option");
    option.value = line.number;
    option.textContent = line.name === line.number ? line.number : `${line.name} (${line.number})`;
    select.appendChild(option);
  });
  if (params.get("to")) { select.value = params.get("to"); }
  const mode = document.getElementById("staffmode");
  mode.value = data.settings.staff;
  mode.addEventListener("change", () => api("/settings", { staff: mode.value }, "PUT"));
  next = (await api("/events?after=0")).next; // only what happens from now on
  poll();
}

start();
