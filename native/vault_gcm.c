/*
 * vault_gcm: AES-256-GCM decryption of one sealed vault chunk into a buffer the caller owns.
 *
 * Why native: Node's decipher.update() returns a fresh buffer on every call, so 137 MB of
 * plaintext lands on newly allocated, zero-filled, faulted-in memory that the garbage collector
 * frees later; that, not AES, was most of what decoding from the vault cost (README, "Vault").
 * OpenSSL's EVP interface (the same library Node uses, linked statically here with its symbols
 * hidden, so it neither clashes with Node's OpenSSL nor needs Electron's BoringSSL to export one)
 * decrypts into a reused buffer instead. The tag is checked before the function returns true;
 * on any failure the output is wiped and false is returned, so unverified plaintext never
 * reaches the caller.
 *
 * JS: openInto(key[32], nonce[12], aad, ciphertext, tag[16], out) -> boolean
 *     (out.length >= ciphertext.length; all arguments are Uint8Arrays / Buffers)
 */
#include <limits.h>
#include <string.h>
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

static int bytes_of(napi_env env, napi_value v, unsigned char **data, size_t *len) {
  bool is_ta = false;
  napi_typedarray_type type;
  napi_value ab;
  size_t offset;
  if (napi_is_typedarray(env, v, &is_ta) != napi_ok || !is_ta) return 0;
  if (napi_get_typedarray_info(env, v, &type, len, (void **)data, &ab, &offset) != napi_ok) return 0;
  return type == napi_uint8_array;
}

static napi_value fail_type(napi_env env, const char *msg) {
  napi_throw_type_error(env, "ERR_INVALID_ARG_TYPE", msg);
  return NULL;
}

static napi_value open_into(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6)
    return fail_type(env, "openInto(key, nonce, aad, ciphertext, tag, out) takes 6 Uint8Arrays");
  unsigned char *key, *nonce, *aad, *ct, *tag, *out;
  size_t key_len, nonce_len, aad_len, ct_len, tag_len, out_len;
  if (!bytes_of(env, argv[0], &key, &key_len) || key_len != 32) return fail_type(env, "key must be 32 bytes");
  if (!bytes_of(env, argv[1], &nonce, &nonce_len) || nonce_len != 12) return fail_type(env, "nonce must be 12 bytes");
  if (!bytes_of(env, argv[2], &aad, &aad_len) || aad_len > INT_MAX) return fail_type(env, "aad must be a Uint8Array");
  if (!bytes_of(env, argv[3], &ct, &ct_len) || ct_len > INT_MAX) return fail_type(env, "ciphertext must be a Uint8Array under 2 GiB");
  if (!bytes_of(env, argv[4], &tag, &tag_len) || tag_len != 16) return fail_type(env, "tag must be 16 bytes");
  if (!bytes_of(env, argv[5], &out, &out_len) || out_len < ct_len) return fail_type(env, "out must be at least as long as the ciphertext");

  int ok = 0, n = 0, fin = 0;
  EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
  if (ctx &&
      EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
      EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
      (aad_len == 0 || EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1) &&
      EVP_DecryptUpdate(ctx, out, &n, ct, (int)ct_len) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, tag) == 1 &&
      EVP_DecryptFinal_ex(ctx, out + n, &fin) == 1)
    ok = 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok && ct_len > 0) OPENSSL_cleanse(out, ct_len);
  napi_value result;
  napi_get_boolean(env, ok, &result);
  return result;
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "openInto", NAPI_AUTO_LENGTH, open_into, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "openInto", fn) != napi_ok) return NULL;
  return exports;
}
