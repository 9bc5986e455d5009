// @ts-check
// 我的岗位 (/volunteers/me, volunteer_me.html): a member's phone page. 选岗 signs up for an open post; 签到 / 签退 read
// the phone's position (getCurrentPosition, high accuracy) and send it to POST /api/v1/volunteers/signups/<id>/
// check-in or check-out — the server refuses a position outside the post's area with a sentence saying how far.
// After a success the page reloads to show the post's state and the quarter's hours and points.
import { errorText, postJSON } from "../api.js";

/** @param {string} id @returns {HTMLElement} */
const $ = (id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** @returns {Promise<GeolocationPosition>} */
function locate() {
  return new Promise((resolve, reject) => {
    if (!navigator.geolocation) reject(new Error("no geolocation"));
    else navigator.geolocation.getCurrentPosition(resolve, reject, { enableHighAccuracy: true, timeout: 20000 });
  });
}

export function volunteerPage() {
  const cfgEl = document.getElementById("volunteer-config");
  /** @type {{strings: Record<string, string>}} */
  const cfg = JSON.parse((cfgEl && cfgEl.textContent) || "{}");
  const s = cfg.strings;
  const status = document.getElementById("vol-status") || $("volunteer-me");
  /** @param {string} text @param {string} [kind] */
  const say = (text, kind = "") => {
    status.textContent = text;
    status.className = "position-status" + (kind ? " " + kind : "");
  };

  document.querySelectorAll("button[data-action]").forEach((el) => {
    const button = /** @type {HTMLButtonElement} */ (el);
    button.addEventListener("click", async () => {
      const action = button.dataset.action;
      button.disabled = true;
      try {
        if (action === "sign-up") {
          await postJSON(`/api/v1/volunteers/posts/${button.dataset.post}/signups`, {});
          say(s.vol_signed_up, "ok");
        } else {
          say(s.vol_locating);
          let pos;
          try {
            pos = await locate();
          } catch {
            say(s.vol_no_gps, "error-message");
            button.disabled = false;
            return;
          }
          const body = { lon: pos.coords.longitude, lat: pos.coords.latitude };
          await postJSON(`/api/v1/volunteers/signups/${button.dataset.signup}/${action}`, body);
          say(action === "check-in" ? s.vol_checked_in : s.vol_checked_out, "ok");
        }
        window.location.reload();
      } catch (err) {
        say(errorText(err), "error-message");
        button.disabled = false;
      }
    });
  });
}

volunteerPage();
