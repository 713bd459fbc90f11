// Round points with a soft rim; fully transparent ones are dropped so they neither draw nor hide what is behind.
varying vec3 vColor;
varying float vAlpha;

void main() {
  vec2 offset = gl_PointCoord - 0.5;
  float r = length(offset) * 2.0;
  if (r > 1.0 || vAlpha <= 0.001) discard;
  float rim = smoothstep(0.7, 1.0, r);
  gl_FragColor = vec4(mix(vColor, vColor * 0.35, rim), vAlpha * (1.0 - 0.5 * rim));
}
