// Each edge joins a node (level L) to its parent (level L − 1); both vertices carry the child's level and emphasis
// (see nodes.vert.glsl), so an edge is highlighted exactly when its lower node is, and hidden when either layer is.
attribute vec3 edgeColor;
attribute float level;
attribute float emphasis;

uniform float levelShown[LEVEL_COUNT];
uniform float reveal;
uniform float baseAlpha;

varying vec3 vColor;
varying float vAlpha;

void main() {
  int l = int(level + 0.5);
  float shown = levelShown[l] * levelShown[l - 1] * clamp(reveal - level, 0.0, 1.0);
  gl_Position = projectionMatrix * modelViewMatrix * vec4(position, 1.0);
  vColor = emphasis == 2.0 || emphasis == 4.0 ? vec3(1.0, 0.93, 0.5) : edgeColor;
  vAlpha = shown * (emphasis == 1.0 ? 0.05 : emphasis >= 2.0 ? 0.95 : baseAlpha);
}
