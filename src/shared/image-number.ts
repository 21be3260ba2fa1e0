/** The slice naming rule of src/core/dicom/image-number, shared so the viewer and reports agree. */
export { imageNumberLabel } from '../core/dicom/image-number';
