// The call page: buttons carrying data-start jump the player to that second and play.
document.addEventListener("click", (event) => {
  const button = event.target.closest("button.jump");
  if (!button) return;
  const player = document.getElementById("player");
  player.currentTime = parseFloat(button.dataset.start);
  player.play().catch(() => {});
});
