// One point per fixation-tree node. `emphasis` says how the node relates to the clicked node: 0 no selection,
// 1 unrelated (dimmed), 2 on its path to the class, 3 one of its descendants, 4 the clicked node itself.
// A node shows when its layer passes the filter (levelShown) and the play animation has reached its level (reveal).
attribute vec3 nodeColor;
attribute float level;
attribute float emphasis;

uniform float levelShown[LEVEL_COUNT];
uniform float reveal;
uniform float pointSize;
uniform float viewportHeight;

varying vec3 vColor;
varying float vAlpha;

void main() {
  float shown = levelShown[int(level + 0.5)] * clamp(reveal - level, 0.0, 1.0);
  vec4 viewPosition = modelViewMatrix * vec4(position, 1.0);
  gl_Position = projectionMatrix * viewPosition;
  float grow = emphasis == 4.0 ? 2.2 : emphasis >= 2.0 ? 1.5 : 1.0;
  // World-sized points: pointSize world units seen at the view's distance, at least 2 px so far nodes stay visible.
  float pixels = pointSize * grow * viewportHeight * projectionMatrix[1][1] / (2.0 * max(-viewPosition.z, 0.001));
  gl_PointSize = shown > 0.0 ? clamp(pixels, 2.0, 48.0) : 0.0;
  vColor = emphasis == 2.0 ? mix(nodeColor, vec3(1.0, 0.95, 0.55), 0.55) : emphasis == 4.0 ? vec3(1.0) : nodeColor;
  vAlpha = shown * (emphasis == 1.0 ? 0.16 : 1.0);
}
