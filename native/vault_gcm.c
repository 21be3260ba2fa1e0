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
 *     openRangeInto(key[32], nonce[12], aad, ciphertext, tag[16], from, out) -> boolean
 *     plaintext bytes [from, from + out.length) into out, the rest deciphered into a scratch
 *     buffer that is wiped: GCM authenticates the whole ciphertext, so all of it is deciphered,
 *     but only the wanted bytes are written where the caller wants them (a decode slot).
 *     sealInto(key[32], nonce[12], aad, plaintext, out) -> true
 *     ciphertext then the 16-byte tag into out (out.length >= plaintext.length + 16): an import
 *     enciphers into one reused buffer per writer instead of fresh ones.
 */
#include <limits.h>
#include <string.h>
#include <node_api.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <pthread.h>

/* Fetched once: OpenSSL 3's implicit fetch on every init looks the algorithm up again. */
static EVP_CIPHER *aes_gcm;
static pthread_once_t aes_gcm_once = PTHREAD_ONCE_INIT;
static void fetch_aes_gcm(void) { aes_gcm = EVP_CIPHER_fetch(NULL, "AES-256-GCM", NULL); }

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

/* Deciphers ct into out at [0, from) and [to, ct_len) through a wiped scratch, [from, to) into
 * dst; checks the tag. dst == NULL: everything into dst_all. Returns 1 when authentic. */
static int decipher(const unsigned char *key, const unsigned char *nonce, const unsigned char *aad, size_t aad_len,
                    const unsigned char *ct, size_t ct_len, const unsigned char *tag, size_t from, size_t to,
                    unsigned char *dst) {
  unsigned char scratch[16384];
  int ok = 0, n = 0;
  pthread_once(&aes_gcm_once, fetch_aes_gcm);
  EVP_CIPHER_CTX *ctx = aes_gcm ? EVP_CIPHER_CTX_new() : NULL;
  if (!ctx || EVP_DecryptInit_ex2(ctx, aes_gcm, NULL, NULL, NULL) != 1 ||
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) != 1 ||
      EVP_DecryptInit_ex2(ctx, NULL, key, nonce, NULL) != 1 ||
      (aad_len > 0 && EVP_DecryptUpdate(ctx, NULL, &n, aad, (int)aad_len) != 1))
    goto done;
  for (size_t pos = 0; pos < ct_len;) {
    /* GCM is a stream mode: each update gives back exactly as many bytes as it takes. */
    unsigned char *out;
    size_t len;
    if (pos < from) {
      len = from - pos < sizeof scratch ? from - pos : sizeof scratch;
      out = scratch;
    } else if (pos < to) {
      len = to - pos;
      out = dst + (pos - from);
    } else {
      len = ct_len - pos < sizeof scratch ? ct_len - pos : sizeof scratch;
      out = scratch;
    }
    if (EVP_DecryptUpdate(ctx, out, &n, ct + pos, (int)len) != 1 || (size_t)n != len) goto done;
    pos += len;
  }
  if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, 16, (void *)tag) != 1) goto done;
  ok = EVP_DecryptFinal_ex(ctx, scratch, &n) == 1;
done:
  EVP_CIPHER_CTX_free(ctx);
  OPENSSL_cleanse(scratch, sizeof scratch);
  if (!ok && to > from) OPENSSL_cleanse(dst, to - from);
  return ok;
}

struct args {
  unsigned char *key, *nonce, *aad, *ct, *tag, *out;
  size_t key_len, nonce_len, aad_len, ct_len, tag_len, out_len;
};

static int common_args(napi_env env, napi_value *argv, struct args *a) {
  if (!bytes_of(env, argv[0], &a->key, &a->key_len) || a->key_len != 32) return fail_type(env, "key must be 32 bytes"), 0;
  if (!bytes_of(env, argv[1], &a->nonce, &a->nonce_len) || a->nonce_len != 12) return fail_type(env, "nonce must be 12 bytes"), 0;
  if (!bytes_of(env, argv[2], &a->aad, &a->aad_len) || a->aad_len > INT_MAX) return fail_type(env, "aad must be a Uint8Array"), 0;
  if (!bytes_of(env, argv[3], &a->ct, &a->ct_len) || a->ct_len > INT_MAX) return fail_type(env, "ciphertext must be a Uint8Array under 2 GiB"), 0;
  if (!bytes_of(env, argv[4], &a->tag, &a->tag_len) || a->tag_len != 16) return fail_type(env, "tag must be 16 bytes"), 0;
  return 1;
}

static napi_value boolean(napi_env env, int v) {
  napi_value result;
  napi_get_boolean(env, v, &result);
  return result;
}

static napi_value open_into(napi_env env, napi_callback_info info) {
  size_t argc = 6;
  napi_value argv[6];
  struct args a;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 6)
    return fail_type(env, "openInto(key, nonce, aad, ciphertext, tag, out) takes 6 Uint8Arrays");
  if (!common_args(env, argv, &a)) return NULL;
  if (!bytes_of(env, argv[5], &a.out, &a.out_len) || a.out_len < a.ct_len) return fail_type(env, "out must be at least as long as the ciphertext");
  return boolean(env, decipher(a.key, a.nonce, a.aad, a.aad_len, a.ct, a.ct_len, a.tag, 0, a.ct_len, a.out));
}

static napi_value open_range_into(napi_env env, napi_callback_info info) {
  size_t argc = 7;
  napi_value argv[7];
  struct args a;
  double from;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 7)
    return fail_type(env, "openRangeInto(key, nonce, aad, ciphertext, tag, from, out) takes 7 arguments");
  if (!common_args(env, argv, &a)) return NULL;
  if (napi_get_value_double(env, argv[5], &from) != napi_ok || !(from >= 0) || from != (double)(size_t)from)
    return fail_type(env, "from must be a whole number >= 0");
  if (!bytes_of(env, argv[6], &a.out, &a.out_len) || (size_t)from > a.ct_len || a.out_len > a.ct_len - (size_t)from)
    return fail_type(env, "out must be a Uint8Array that fits in the ciphertext after from");
  return boolean(env, decipher(a.key, a.nonce, a.aad, a.aad_len, a.ct, a.ct_len, a.tag, (size_t)from, (size_t)from + a.out_len, a.out));
}

static napi_value seal_into(napi_env env, napi_callback_info info) {
  size_t argc = 5;
  napi_value argv[5];
  unsigned char *key, *nonce, *aad, *pt, *out;
  size_t key_len, nonce_len, aad_len, pt_len, out_len;
  if (napi_get_cb_info(env, info, &argc, argv, NULL, NULL) != napi_ok || argc != 5)
    return fail_type(env, "sealInto(key, nonce, aad, plaintext, out) takes 5 Uint8Arrays");
  if (!bytes_of(env, argv[0], &key, &key_len) || key_len != 32) return fail_type(env, "key must be 32 bytes");
  if (!bytes_of(env, argv[1], &nonce, &nonce_len) || nonce_len != 12) return fail_type(env, "nonce must be 12 bytes");
  if (!bytes_of(env, argv[2], &aad, &aad_len) || aad_len > INT_MAX) return fail_type(env, "aad must be a Uint8Array");
  if (!bytes_of(env, argv[3], &pt, &pt_len) || pt_len > INT_MAX) return fail_type(env, "plaintext must be a Uint8Array under 2 GiB");
  if (!bytes_of(env, argv[4], &out, &out_len) || out_len < pt_len + 16) return fail_type(env, "out must hold the plaintext and a 16-byte tag");
  pthread_once(&aes_gcm_once, fetch_aes_gcm);
  int ok = 0, n = 0;
  EVP_CIPHER_CTX *ctx = aes_gcm ? EVP_CIPHER_CTX_new() : NULL;
  if (ctx && EVP_EncryptInit_ex2(ctx, aes_gcm, NULL, NULL, NULL) == 1 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, 12, NULL) == 1 &&
      EVP_EncryptInit_ex2(ctx, NULL, key, nonce, NULL) == 1 &&
      (aad_len == 0 || EVP_EncryptUpdate(ctx, NULL, &n, aad, (int)aad_len) == 1) &&
      (pt_len == 0 || (EVP_EncryptUpdate(ctx, out, &n, pt, (int)pt_len) == 1 && (size_t)n == pt_len)) &&
      EVP_EncryptFinal_ex(ctx, out + pt_len, &n) == 1 && n == 0 &&
      EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, 16, out + pt_len) == 1)
    ok = 1;
  EVP_CIPHER_CTX_free(ctx);
  if (!ok) {
    napi_throw_error(env, "ERR_CRYPTO_OPERATION_FAILED", "AES-256-GCM encryption failed");
    return NULL;
  }
  return boolean(env, 1);
}

NAPI_MODULE_INIT() {
  napi_value fn;
  if (napi_create_function(env, "openInto", NAPI_AUTO_LENGTH, open_into, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "openInto", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "openRangeInto", NAPI_AUTO_LENGTH, open_range_into, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "openRangeInto", fn) != napi_ok) return NULL;
  if (napi_create_function(env, "sealInto", NAPI_AUTO_LENGTH, seal_into, NULL, &fn) != napi_ok) return NULL;
  if (napi_set_named_property(env, exports, "sealInto", fn) != napi_ok) return NULL;
  return exports;
}
