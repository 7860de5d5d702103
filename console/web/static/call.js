// The call page: buttons carrying data-start jump the player to that second and play.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.jump");
  if (!button) return;
  const player = document.getElementById("player");
  player.currentTime = parseFloat(button.dataset.start);
  player.play().catch(() => {});
});

// A link from the listen-to-this queue carries ?t=SECONDS: the player starts there.
const startAt = parseFloat(new URLSearchParams(window.location.search).get("t"));
if (!Number.isNaN(startAt)) {
  const player = document.getElementById("player");
  const seek = () => { player.currentTime = startAt; };
  if (player.readyState >= 1) seek(); else player.addEventListener("loadedmetadata", seek, { once: true });
}
