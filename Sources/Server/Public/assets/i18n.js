// Thai first, English on request. Elements carry data-i18n="key" (text) or data-i18n-label="key" (aria-label,
// placeholder, title); the choice is remembered in localStorage.
const strings = {
  th: {
    live: "สด", offline: "ไม่มีการถ่ายทอด", suspended: "พักการประชุม", ended: "ปิดการประชุมแล้ว", connecting: "กำลังเชื่อมต่อ…",
    reconnecting: "การเชื่อมต่อขาดหาย กำลังเชื่อมต่อใหม่…", agenda: "ระเบียบวาระ", speaker: "ผู้อภิปราย", noSpeaker: "—",
    vote: "การลงมติ", voteOpen: "กำลังลงมติ", yes: "เห็นด้วย", no: "ไม่เห็นด้วย", abstain: "งดออกเสียง", notVoting: "ไม่ลงคะแนน",
    passed: "ผ่าน", rejected: "ไม่ผ่าน", tied: "คะแนนเท่ากัน", records: "ผลการลงมติรายบุคคล", transcript: "ถ้อยคำอภิปราย",
    notices: "ประกาศ", audioOnly: "เสียงอย่างเดียว", video: "ภาพและเสียง", embed: "ฝังในเว็บไซต์ของท่าน", archive: "บันทึกการประชุมย้อนหลัง",
    noSitting: "ยังไม่มีการประชุม", search: "ค้นหาถ้อยคำ", searchButton: "ค้นหา", results: "ผลการค้นหา", noResults: "ไม่พบ",
    sittings: "การประชุม", chapters: "ช่วงตามระเบียบวาระ", linkHere: "ลิงก์มายังช่วงนี้", copied: "คัดลอกแล้ว", watchLive: "ชมสด",
    console: "ห้องควบคุม", token: "โทเค็นผู้ควบคุม", save: "บันทึก", startSitting: "เปิดการประชุม", endSitting: "ปิดการประชุม",
    suspend: "พักการประชุม", resume: "ประชุมต่อ", title: "ชื่อการประชุม", number: "ครั้งที่", chamber: "สภา", setAgenda: "ตั้งระเบียบวาระ",
    agendaHelp: "หนึ่งบรรทัดต่อหนึ่งวาระ: เลขวาระ | ชื่อเรื่อง | รหัสร่างกฎหมาย (ถ้ามี)", current: "วาระปัจจุบัน", makeCurrent: "เริ่มวาระนี้",
    setSpeaker: "ตั้งผู้อภิปราย", name: "ชื่อ", role: "ตำแหน่ง", party: "พรรค", motion: "ญัตติ", openVote: "เปิดการลงมติ",
    updateTally: "ปรับคะแนน", closeVote: "ปิดการลงมติ", result: "ผล", recordsHelp: "หนึ่งบรรทัดต่อหนึ่งคน: ชื่อ, yes/no/abstain/notVoting",
    sendLine: "ส่งถ้อยคำ", text: "ข้อความ", final: "ข้อความสุดท้าย", language: "ภาษา", sendNotice: "ส่งประกาศ", sent: "ส่งแล้ว",
    error: "ผิดพลาด", needToken: "ใส่โทเค็นผู้ควบคุมก่อน", item: "วาระ", none: "ไม่ระบุ", play: "เล่น", seekTo: "ไปยัง",
    duration: "ความยาว", recording: "ไฟล์บันทึก (MP4)", liveNow: "กำลังถ่ายทอดสด", state: "สถานะ", open: "กำลังประชุม",
    behind: "ช้ากว่าสด {s} วินาที", instantEvents: "แสดงความคืบหน้าทันที (ไม่รอภาพ)", waitingBroadcast: "รอสัญญาณถ่ายทอด…",
    audioTrack: "ภาษาเสียง", quality: "ความคมชัด", auto: "อัตโนมัติ", source: "ต้นฉบับ", rewind: "ย้อนดูการถ่ายทอด",
    backToLive: "กลับไปยังภาพสด", rewindFrom: "ย้อนได้ถึง", onScreen: "ภาพขณะนี้", markIn: "ตั้งจุดเริ่มคลิป", markOut: "ตั้งจุดจบคลิป",
    clipDownload: "ดาวน์โหลดคลิป (MP4)", clipOrder: "จุดจบต้องอยู่หลังจุดเริ่ม", clipNothing: "ยังไม่มีภาพให้ตั้งจุด",
    alerts: "แจ้งเตือน", alertsHelp: "กด ☆ ที่วาระเพื่อติดตามร่างกฎหมายหรือวาระนั้น หรือเพิ่มคำที่สนใจ แล้วรับการแจ้งเตือนเมื่อมีการพิจารณา ผลการลงมติ หรือมีผู้กล่าวถึง",
    follow: "☆ ติดตาม", following: "★ ติดตามอยู่", followed: "เรื่องที่ติดตาม", bill: "ร่าง", tag: "หมวด",
    alertKeyword: "คำที่สนใจ", addKeyword: "เพิ่ม", removeFollow: "เลิกติดตาม", keywords: "คำที่ติดตาม",
    keywordLength: "คำต้องยาว 1–64 ตัวอักษร", keywordTooMany: "ติดตามคำได้ไม่เกิน 20 คำ",
    alertsEnable: "เปิดการแจ้งเตือน", alertsWaiting: "กำลังเตรียมการแจ้งเตือน…",
    alertsUnsupported: "เบราว์เซอร์นี้รับการแจ้งเตือนไม่ได้", alertsOff: "เว็บไซต์นี้ไม่ได้เปิดบริการแจ้งเตือน",
    alertsReady: "ยังไม่ได้ติดตามเรื่องใด", alertsNeedPermission: "กด “เปิดการแจ้งเตือน” เพื่อรับการแจ้งเตือนเรื่องที่ติดตาม",
    alertsSubscribing: "กำลังเปิดการแจ้งเตือน…", alertsSubscribed: "เปิดการแจ้งเตือนแล้ว จะแจ้งเมื่อมีความคืบหน้าเรื่องที่ติดตาม",
    alertsDenied: "เบราว์เซอร์ไม่อนุญาตการแจ้งเตือนจากเว็บไซต์นี้ เปิดได้ในการตั้งค่าของเว็บไซต์",
    alertsError: "เปิดการแจ้งเตือนไม่สำเร็จ: {reason}",
  },
  en: {
    live: "LIVE", offline: "Off air", suspended: "Suspended", ended: "Sitting closed", connecting: "Connecting…",
    reconnecting: "Connection lost, reconnecting…", agenda: "Agenda", speaker: "Speaker", noSpeaker: "—",
    vote: "Vote", voteOpen: "Voting in progress", yes: "Yes", no: "No", abstain: "Abstain", notVoting: "Not voting",
    passed: "Passed", rejected: "Rejected", tied: "Tied", records: "How members voted", transcript: "Transcript",
    notices: "Notices", audioOnly: "Audio only", video: "Video", embed: "Embed on your website", archive: "Past sittings",
    noSitting: "No sitting yet", search: "Search what was said", searchButton: "Search", results: "Results", noResults: "Nothing found",
    sittings: "Sittings", chapters: "Agenda chapters", linkHere: "Link to this moment", copied: "Copied", watchLive: "Watch live",
    console: "Operator console", token: "Operator token", save: "Save", startSitting: "Start sitting", endSitting: "End sitting",
    suspend: "Suspend", resume: "Resume", title: "Title", number: "Meeting no.", chamber: "Chamber", setAgenda: "Set agenda",
    agendaHelp: "One item per line: number | title | bill id (optional)", current: "Current item", makeCurrent: "Take up",
    setSpeaker: "Set speaker", name: "Name", role: "Role", party: "Party", motion: "Motion", openVote: "Open vote",
    updateTally: "Update tally", closeVote: "Close vote", result: "Result", recordsHelp: "One member per line: name, yes/no/abstain/notVoting",
    sendLine: "Send line", text: "Text", final: "Final text", language: "Language", sendNotice: "Send notice", sent: "Sent",
    error: "Error", needToken: "Enter an operator token first", item: "Item", none: "None", play: "Play", seekTo: "Go to",
    duration: "Duration", recording: "Recording (MP4)", liveNow: "Live now", state: "State", open: "In session",
    behind: "{s} s behind live", instantEvents: "Show progress at once (ahead of the picture)", waitingBroadcast: "Waiting for the broadcast…",
    audioTrack: "Audio", quality: "Quality", auto: "Auto", source: "Source", rewind: "Rewind the broadcast",
    backToLive: "Back to live", rewindFrom: "Rewind to", onScreen: "On screen", markIn: "Mark in", markOut: "Mark out",
    clipDownload: "Download clip (MP4)", clipOrder: "Mark out must come after mark in", clipNothing: "No picture to mark yet",
    alerts: "Alerts", alertsHelp: "Press ☆ on an item to follow its bill or the item, or add words you care about: you are alerted when it is taken up, voted on or mentioned.",
    follow: "☆ Follow", following: "★ Following", followed: "Following", bill: "Bill", tag: "Topic",
    alertKeyword: "Words to watch for", addKeyword: "Add", removeFollow: "Stop following", keywords: "Words followed",
    keywordLength: "A word must be 1–64 characters long", keywordTooMany: "At most 20 words can be followed",
    alertsEnable: "Turn alerts on", alertsWaiting: "Getting alerts ready…",
    alertsUnsupported: "This browser cannot receive alerts", alertsOff: "Alerts are not offered by this site",
    alertsReady: "Nothing followed yet", alertsNeedPermission: "Press “Turn alerts on” to be alerted about what you follow",
    alertsSubscribing: "Turning alerts on…", alertsSubscribed: "Alerts are on: you will hear when what you follow comes up",
    alertsDenied: "This browser blocks notifications from this site; allow them in the site's settings",
    alertsError: "Could not turn alerts on: {reason}",
  },
};

let lang = localStorage.getItem("senate-live-lang") === "en" ? "en" : "th";
const listeners = [];

/** The text of `key` in the current language. */
export function t(key) { return strings[lang][key] ?? strings.th[key] ?? key; }

export function currentLang() { return lang; }

/** Re-labels the page (and anything registered with onLangChange) in `next`. */
export function setLang(next) {
  lang = next === "en" ? "en" : "th";
  localStorage.setItem("senate-live-lang", lang);
  apply();
  for (const listener of listeners) listener(lang);
}

export function onLangChange(listener) { listeners.push(listener); }

export function apply(root = document) {
  document.documentElement.lang = lang;
  for (const element of root.querySelectorAll("[data-i18n]")) element.textContent = t(element.dataset.i18n);
  for (const element of root.querySelectorAll("[data-i18n-label]")) {
    const text = t(element.dataset.i18nLabel);
    element.setAttribute("aria-label", text);
    if ("placeholder" in element) element.placeholder = text;
  }
  for (const button of root.querySelectorAll("[data-lang]")) button.setAttribute("aria-pressed", String(button.dataset.lang === lang));
}

/** Wires the TH/EN buttons (`[data-lang]`) and labels the page. */
export function setupLanguage() {
  for (const button of document.querySelectorAll("[data-lang]")) button.addEventListener("click", () => setLang(button.dataset.lang));
  apply();
}

/** A date-time in the current language, Bangkok time. */
export function formatTime(value) {
  const date = value instanceof Date ? value : new Date(value);
  return date.toLocaleString(lang === "th" ? "th-TH" : "en-GB", { timeZone: "Asia/Bangkok", dateStyle: "medium", timeStyle: "short" });
}

/** A wall-clock time of day to the second, Bangkok time (the DVR seek bar, clip marks). */
export function formatClock(value) {
  const date = value instanceof Date ? value : new Date(value);
  return date.toLocaleTimeString(lang === "th" ? "th-TH" : "en-GB", { timeZone: "Asia/Bangkok", hour: "2-digit", minute: "2-digit", second: "2-digit", hour12: false });
}

export function formatOffset(seconds) {
  const s = Math.max(0, Math.floor(seconds));
  const h = Math.floor(s / 3600), m = Math.floor(s / 60) % 60, r = s % 60;
  return (h ? `${h}:${String(m).padStart(2, "0")}` : `${m}`) + `:${String(r).padStart(2, "0")}`;
}
